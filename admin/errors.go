package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

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

	// ErrInvalidSlug means a room slug is not 1 to 64 of a-z, 0-9, '-' or '_'
	// (the meeting page's rule for room names in /r/ROOM).
	ErrInvalidSlug = errors.New("admin: invalid slug: use 1 to 64 of a-z, 0-9, '-' or '_'")
	// ErrInvalidAccess means a room's access is not public, password or members.
	ErrInvalidAccess = errors.New("admin: invalid access: want public, password or members")
	// ErrRoomPassword means a room's password does not fit its access: access
	// "password" needs one, and the other kinds take none.
	ErrRoomPassword = errors.New("admin: room password: access password needs one, public and members rooms take none")
	// ErrInvalidMaxParticipants means a room's participant limit is outside 0 (no limit) to maxRoomParticipants.
	ErrInvalidMaxParticipants = errors.New("admin: invalid max_participants: want 0 (no limit) to 1000")

	// ErrLastAdmin means a change would leave no enabled admin account, and
	// so nobody able to run the server from the browser.
	ErrLastAdmin = errors.New("admin: the last enabled admin cannot be demoted, disabled or deleted")
	// ErrInvalidOrigin means an embed origin is not exactly scheme://host[:port]
	// with scheme https (or http for localhost).
	ErrInvalidOrigin = errors.New("admin: invalid origin: want https://host[:port], no path, no wildcard")
	// ErrInvalidSetting means a settings value is outside its allowed set.
	ErrInvalidSetting = errors.New("admin: invalid setting")
	// ErrInviteInvalid means an invite link is unknown, used or expired.
	ErrInviteInvalid = errors.New("admin: invite link invalid, used or expired")

	// ErrJoinNotAuthorized means the join may not enter the room: an unknown
	// token, or an ad-hoc room that the settings do not allow this caller to open.
	ErrJoinNotAuthorized = errors.New("admin: join not authorized")
	// ErrJoinPasswordRequired means the room needs its password and none was given.
	ErrJoinPasswordRequired = errors.New("admin: join: room password required")
	// ErrJoinWrongPassword means the room password given is wrong.
	ErrJoinWrongPassword = errors.New("admin: join: wrong room password")
	// ErrJoinMembersOnly means the room admits only signed-in accounts.
	ErrJoinMembersOnly = errors.New("admin: join: members only")
	// ErrJoinRateLimited means too many wrong room passwords came from this
	// address for this room; the caller should wait.
	ErrJoinRateLimited = errors.New("admin: join: too many attempts")

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
	errUnsupportedMedia = errors.New("admin: unsupported media type: send application/json")
)

// errorClass is one row of the error mapping: the status and the stable
// machine-readable code both HTTP surfaces answer with.
type errorClass struct {
	err    error
	status int
	code   string
}

// errorClasses is checked in order; the first row err matches (errors.Is)
// wins. Errors in no row are server errors. A function, not a variable, so
// that nothing can change the mapping at run time.
func errorClasses() []errorClass {
	return []errorClass{
		{errBadRequest, http.StatusBadRequest, "bad_request"},
		{errUnsupportedMedia, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed"},
		{errUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
		{errTooManyAttempts, http.StatusTooManyRequests, "too_many_requests"},
		{ErrSetupTokenInvalid, http.StatusForbidden, "setup_token_invalid"},
		{errForbidden, http.StatusForbidden, "forbidden"},
		// Once an admin exists the setup page no longer exists.
		{ErrSetupComplete, http.StatusNotFound, "not_found"},
		{ErrNotFound, http.StatusNotFound, "not_found"},
		{ErrExists, http.StatusConflict, "exists"},
		{ErrInvalidUsername, http.StatusBadRequest, "invalid_username"},
		{ErrInvalidRole, http.StatusBadRequest, "invalid_role"},
		{ErrWeakPassword, http.StatusBadRequest, "weak_password"},
		{ErrPasswordTooLong, http.StatusBadRequest, "password_too_long"},
		{ErrInvalidName, http.StatusBadRequest, "invalid_name"},
		{ErrInvalidSlug, http.StatusBadRequest, "invalid_slug"},
		{ErrInvalidAccess, http.StatusBadRequest, "invalid_access"},
		{ErrRoomPassword, http.StatusBadRequest, "invalid_room_password"},
		{ErrInvalidMaxParticipants, http.StatusBadRequest, "invalid_max_participants"},
		{ErrLastAdmin, http.StatusConflict, "last_admin"},
		{ErrInvalidOrigin, http.StatusBadRequest, "invalid_origin"},
		{ErrInvalidSetting, http.StatusBadRequest, "invalid_setting"},
		{ErrInviteInvalid, http.StatusNotFound, "not_found"},
	}
}

// classify maps an error to the status and code the admin surfaces answer
// with, and to a message safe to show: the sentinel's text for client errors,
// a generic one for server errors. It is the one place where that decision is
// made, for the HTML pages and the JSON API alike.
func classify(err error) (status int, code, msg string) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, "too_large", "request body too large"
	}
	for _, c := range errorClasses() {
		if errors.Is(err, c.err) {
			return c.status, c.code, strings.TrimPrefix(c.err.Error(), "admin: ")
		}
	}
	return http.StatusInternalServerError, "internal", "internal server error"
}

// httpStatus is classify's status alone.
func httpStatus(err error) int {
	status, _, _ := classify(err)
	return status
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
