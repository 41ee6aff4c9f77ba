package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// maxJSONBytes bounds an API request body.
const maxJSONBytes = 16 << 10

type apiTokenKey struct{}

// APIHandler returns the JSON API router, with paths relative to its mount
// point: the appliance mounts it at /api/v1. Every route needs an API token
// (Authorization: Bearer cnv_...). Errors are {"error": "...", "code": "..."}.
func (a *Admin) APIHandler() http.Handler { return a.api }

func (a *Admin) apiRoutes() http.Handler {
	r := chi.NewRouter()
	r.Use(ensureRequestID, middleware.Recoverer, apiHeaders, a.requireToken)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { a.apiError(w, r, ErrNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { a.apiError(w, r, errMethodNotAllowed) })
	r.Group(func(r chi.Router) {
		r.Use(a.apiRequire(principal.isAdmin))
		r.Get("/users", a.apiListUsers)
		r.Post("/users", a.apiCreateUser)
		r.Get("/users/{username}", a.apiGetUser)
		r.Patch("/users/{username}", a.apiUpdateUser)
		r.Delete("/users/{username}", a.apiDeleteUser)
	})
	r.Group(func(r chi.Router) {
		r.Use(a.apiRequire(principal.isStaff))
		a.roomAPIRoutes(r)
		a.meetingAPIRoutes(r)
	})
	if a.cfg.TURNCredentials != nil {
		r.Post("/turn/credentials", a.apiTURNCredentials)
	}
	return r
}

// apiHeaders marks every API response as uncacheable and not sniffable.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// requireToken authenticates the bearer token. An unknown, expired or
// malformed token, or one whose user is disabled, is 401, never 404. A
// service token acts with admin rights; a user's token with its user's role.
func (a *Admin) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			a.apiError(w, r, fmt.Errorf("%w: no bearer token", errUnauthenticated))
			return
		}
		t, err := a.store.LookupAPIToken(r.Context(), strings.TrimSpace(token))
		p := principal{service: t.UserID == 0, tokenID: t.ID}
		if err == nil && t.UserID != 0 {
			p.user, err = a.store.UserByID(r.Context(), t.UserID)
			if err == nil && p.user.Disabled {
				err = fmt.Errorf("user %d disabled: %w", t.UserID, ErrNotFound)
			}
		}
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w: %w", errUnauthenticated, err)
		}
		if err != nil {
			a.apiError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), apiTokenKey{}, t)
		ctx = withPrincipal(WithAuditSource(ctx, clientIP(r)), p)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// apiRequire lets through only tokens whose principal passes allowed.
func (a *Admin) apiRequire(allowed func(principal) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !allowed(principalFrom(r.Context())) {
				a.apiError(w, r, errForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// tokenActor names the request's token in the audit log.
func tokenActor(ctx context.Context) string {
	t, _ := ctx.Value(apiTokenKey{}).(APIToken)
	return fmt.Sprintf("api_token:%d", t.ID)
}

// apiError writes the JSON error for err; server errors carry only the request
// ID, and the details go to the log.
func (a *Admin) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := classify(err)
	reqID := middleware.GetReqID(r.Context())
	attrs := []any{slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("request_id", reqID), slog.Int("status", status), slog.Any("err", err)}
	if status >= http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "api request failed", attrs...)
	} else {
		a.log.DebugContext(r.Context(), "api request rejected", attrs...)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="conclave"`)
	}
	body := map[string]string{"error": msg, "code": code}
	if status >= http.StatusInternalServerError {
		body["request_id"] = reqID
	}
	a.writeJSON(w, r, status, body)
}

// writeJSON encodes v before writing anything, so an encoding failure is a
// clean 500.
func (a *Admin) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.ErrorContext(r.Context(), "encode api response", slog.Any("err", err))
		http.Error(w, `{"error":"internal server error","code":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // a failed write means the client left
}

// decodeJSON reads exactly one JSON object with no unknown fields into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	return decodeJSONBody(http.MaxBytesReader(w, r.Body, maxJSONBytes), v)
}

func decodeJSONBody(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return fmt.Errorf("%w: decode json: %w", errBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: decode json: trailing data", errBadRequest)
	}
	return nil
}
