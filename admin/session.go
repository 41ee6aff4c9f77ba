package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// sessionCookie is the admin session cookie. The __Host- prefix makes the
// browser insist on Secure, Path=/ and no Domain, so no sibling host can
// plant or read it.
const sessionCookie = "__Host-conclave_session"

// Errors the session layer maps to statuses in httpStatus.
var (
	errUnauthenticated = errors.New("admin: sign-in required")
	errForbidden       = errors.New("admin: role not allowed")
	errTooManyAttempts = errors.New("admin: too many sign-in attempts")
)

type userKey struct{}

// CurrentUser returns the signed-in user of a request that passed the
// session middleware.
func CurrentUser(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// setSessionCookie hands the browser a new session ID. No Max-Age: the cookie
// ends with the browser session, and the server enforces the timeouts.
func setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// requireSession lets a request through only with a valid session. A browser
// GET is sent to the login page and brought back afterwards; anything else
// gets 401, since a form re-posted after a redirect would lose its body.
func (a *Admin) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := a.sessionUser(r)
		if errors.Is(err, ErrNotFound) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				target := basePath + "/login?next=" + url.QueryEscape(r.URL.RequestURI())
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			err = errUnauthenticated
		}
		if err != nil {
			a.httpError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), userKey{}, u)
		ctx = withPrincipal(WithAuditSource(ctx, clientIP(r)), principal{user: u})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// sessionUser returns the user of the request's session cookie, or ErrNotFound.
func (a *Admin) sessionUser(r *http.Request) (User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return User{}, ErrNotFound
	}
	return a.store.SessionUser(r.Context(), c.Value)
}

// requireRole lets through only users with one of roles; it must run after
// requireSession.
func (a *Admin) requireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := CurrentUser(r.Context())
			if !ok || !slices.Contains(roles, u.Role) {
				a.httpError(w, r, errForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// localNext returns next if it is a path inside the admin panel, else the
// panel's home. Only paths under basePath are accepted, which rules out
// "//evil", "/\evil", "https://evil" and tricks that browsers normalise.
func localNext(next string) string {
	home := basePath + "/"
	if len(next) > 2048 || strings.ContainsAny(next, "\\\x00\t\r\n") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if u.Path != basePath && !strings.HasPrefix(u.Path, basePath+"/") || strings.Contains(u.Path, "/../") ||
		strings.HasSuffix(u.Path, "/..") || strings.HasPrefix(u.Path, basePath+"/login") {
		return home
	}
	return u.RequestURI()
}

// clientIP is the host part of RemoteAddr. The appliance terminates TLS itself,
// so there is no proxy header to trust.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
