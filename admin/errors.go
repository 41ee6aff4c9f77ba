package admin

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// Sentinel errors returned by the store and the handlers. Compare them with
// errors.Is: most are wrapped with the operation and object involved.
var (
	// ErrNotFound means the requested row does not exist (or, for tokens, has expired).
	ErrNotFound = errors.New("admin: not found")
	// ErrExists means a row with the same unique key (a username, a backup file) already exists.
	ErrExists = errors.New("admin: already exists")

	// ErrInvalidUsername means a username is empty, too long or uses characters outside [A-Za-z0-9._@-].
	ErrInvalidUsername = errors.New("admin: invalid username: use 1 to 64 letters, digits, '.', '_', '-' or '@'")
	// ErrInvalidRole means a role is not admin, moderator or member.
	ErrInvalidRole = errors.New("admin: invalid role: want admin, moderator or member")
	// ErrInvalidName means a token name is empty, too long or contains control characters.
	ErrInvalidName = errors.New("admin: invalid name: use 1 to 64 printable characters")
	// ErrWeakPassword means a password is shorter than the minimum length.
	ErrWeakPassword = errors.New("admin: password too short: use at least 10 characters")
	// ErrPasswordTooLong means a password is longer than the maximum accepted length.
	ErrPasswordTooLong = errors.New("admin: password too long: use at most 1024 bytes")

	// ErrInvalidCredentials means the username or the password is wrong. It
	// deliberately does not say which.
	ErrInvalidCredentials = errors.New("admin: invalid username or password")
	// ErrUserDisabled means the password was right but the account is disabled.
	ErrUserDisabled = errors.New("admin: user is disabled")

	// ErrSetupTokenInvalid means a setup token is wrong, already used or expired.
	ErrSetupTokenInvalid = errors.New("admin: setup token invalid or expired")
	// ErrSetupComplete means an admin account exists, so first-run setup is closed.
	ErrSetupComplete = errors.New("admin: setup already complete")

	// ErrSchemaTooNew means the database was written by a newer Conclave; the
	// store refuses to open it rather than run against an unknown schema.
	ErrSchemaTooNew = errors.New("admin: database schema is newer than this conclave")
	// ErrCorrupt means the database file is not a valid Conclave database: not
	// SQLite at all, damaged, or another application's database. The file is
	// left untouched.
	ErrCorrupt = errors.New("admin: file is not a valid Conclave database")
)

// Errors only the handlers produce, for httpError.
var (
	// errBadRequest marks malformed input that is not a form validation
	// problem (an unparsable body).
	errBadRequest       = errors.New("admin: bad request")
	errMethodNotAllowed = errors.New("admin: method not allowed")
)

// httpStatus maps an error to the status the admin surface answers with. It is
// the one place where that decision is made.
func httpStatus(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, errTooManyAttempts):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrSetupTokenInvalid), errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrSetupComplete):
		// Once an admin exists the setup page no longer exists.
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// httpError renders an error page. Client errors show the status text; server
// errors show a generic message and the request ID, and the details go only to
// the log.
func (a *Admin) httpError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(err)
	reqID := middleware.GetReqID(r.Context())
	if status >= http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "admin request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("request_id", reqID), slog.Any("err", err))
	} else {
		a.log.DebugContext(r.Context(), "admin request rejected",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Any("err", err))
	}
	data := errorPage{Status: status, Text: http.StatusText(status), RequestID: reqID}
	a.render(w, r, status, "error.html", data)
}
