package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
)

// loginPage is the data of login.html. It never echoes the username, so that
// every failed attempt gets the same page whoever it named.
type loginPage struct {
	Next         string
	Error        string
	SetupPending bool
}

const (
	msgBadLogin    = "Wrong username or password."
	msgTooManyTrys = "Too many sign-in attempts. Wait a few minutes, then try again."
)

// getLogin serves the sign-in form, or sends a signed-in browser on to next.
func (a *Admin) getLogin(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.URL.Query().Get("next"))
	if _, err := a.sessionUser(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	a.renderLogin(w, r, http.StatusOK, next, "")
}

// postLogin checks the throttle, then the password, then opens a session with
// a fresh ID and redirects to next.
func (a *Admin) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.httpError(w, r, fmt.Errorf("%w: parse login form: %w", errBadRequest, err))
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next, ip := localNext(r.PostForm.Get("next")), clientIP(r)
	if ok, wait := a.throttle.allow(username, ip); !ok {
		a.log.WarnContext(r.Context(), "admin sign-in throttled",
			slog.String("username", loggableUsername(username)), slog.String("ip", ip))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		a.renderLogin(w, r, httpStatus(errTooManyAttempts), next, msgTooManyTrys)
		return
	}
	u, err := a.store.CheckPassword(r.Context(), username, password)
	if errors.Is(err, ErrInvalidCredentials) || errors.Is(err, ErrUserDisabled) {
		// A disabled account gets the same answer: telling it apart would
		// confirm the password to whoever guessed it.
		a.throttle.fail(username, ip)
		a.log.WarnContext(r.Context(), "admin sign-in failed", slog.String("username", loggableUsername(username)),
			slog.String("ip", ip), slog.Bool("disabled", errors.Is(err, ErrUserDisabled)))
		a.renderLogin(w, r, httpStatus(errUnauthenticated), next, msgBadLogin)
		return
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.throttle.succeed(username)
	a.startSession(w, r, u, next)
}

// startSession replaces any session the browser had (rotation on login) and
// redirects to next.
func (a *Admin) startSession(w http.ResponseWriter, r *http.Request, u User, next string) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := a.store.DeleteSession(r.Context(), c.Value); err != nil {
			a.httpError(w, r, err)
			return
		}
	}
	id, err := a.store.CreateSession(r.Context(), u.ID)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "admin signed in", slog.String("username", u.Username),
		slog.String("ip", clientIP(r)))
	setSessionCookie(w, id)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// postLogout deletes the session row and the cookie.
func (a *Admin) postLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := a.store.DeleteSession(r.Context(), c.Value); err != nil {
			a.httpError(w, r, err)
			return
		}
	}
	clearSessionCookie(w)
	http.Redirect(w, r, basePath+"/login", http.StatusSeeOther)
}

func (a *Admin) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	has, err := a.store.HasAdmin(r.Context())
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, status, "login.html", loginPage{Next: next, Error: msg, SetupPending: !has})
}

// loggableUsername keeps a password typed into the username field out of the
// log: only names that could be usernames are logged.
func loggableUsername(name string) string {
	if validateUsername(name) != nil {
		return "(invalid)"
	}
	return name
}
