package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// maxFormBytes bounds a form body: a setup form is a token, a username and two
// passwords of at most 1 KiB each.
const maxFormBytes = 16 << 10

// errPasswordMismatch reports a confirmation that differs from the password.
var errPasswordMismatch = errors.New("admin: passwords do not match")

// setupForm is the first-run form, as submitted.
type setupForm struct {
	Token    string
	Username string
	Password string
	Confirm  string
}

// setupPage is the data of setup.html.
type setupPage struct {
	Token    string
	Username string
	Error    string
}

// setupDonePage is the data of setup_done.html.
type setupDonePage struct {
	Username string
}

func parseSetupForm(v url.Values) setupForm {
	return setupForm{Token: v.Get("token"), Username: v.Get("username"),
		Password: v.Get("password"), Confirm: v.Get("confirm")}
}

// validate checks the fields a person can fix; the token is the store's to check.
func (f setupForm) validate() error {
	if err := validateUsername(f.Username); err != nil {
		return err
	}
	if err := validatePassword(f.Password); err != nil {
		return err
	}
	if f.Password != f.Confirm {
		return errPasswordMismatch
	}
	return nil
}

// formMessage turns a validation error into text for the form, or "" if err
// is not one the person filling the form can fix.
func formMessage(err error) string {
	switch {
	case errors.Is(err, ErrInvalidUsername):
		return "Usernames are 1 to 64 characters: letters, digits, '.', '_', '-' or '@'."
	case errors.Is(err, ErrWeakPassword):
		return fmt.Sprintf("The password must have at least %d characters.", minPasswordRunes)
	case errors.Is(err, ErrPasswordTooLong):
		return fmt.Sprintf("The password must be at most %d bytes long.", maxPasswordBytes)
	case errors.Is(err, errPasswordMismatch):
		return "The two passwords do not match."
	case errors.Is(err, ErrExists):
		return "That username is taken."
	}
	return ""
}

// getSetup serves GET /setup?token=T: the form with a valid token, 403
// without one, 404 once an admin exists.
func (a *Admin) getSetup(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := a.store.CheckSetupToken(r.Context(), token); err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "setup.html", setupPage{Token: token})
}

// postSetup serves POST /setup: it creates the first admin, then removes the
// token file. Fixable mistakes re-render the form with a message.
func (a *Admin) postSetup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.httpError(w, r, fmt.Errorf("%w: parse setup form: %w", errBadRequest, err))
		return
	}
	f := parseSetupForm(r.PostForm)
	if err := a.store.CheckSetupToken(r.Context(), f.Token); err != nil {
		a.httpError(w, r, err)
		return
	}
	if err := f.validate(); err != nil {
		a.setupFormError(w, r, f, err)
		return
	}
	u, err := a.store.CompleteSetup(r.Context(), f.Token, f.Username, f.Password)
	if err != nil {
		a.setupFormError(w, r, f, err)
		return
	}
	a.log.InfoContext(r.Context(), "first admin account created", slog.String("username", u.Username))
	if a.cfg.SetupTokenFile != "" {
		if err := removeFile(a.cfg.SetupTokenFile); err != nil {
			// The token is already spent, so a leftover file is harmless.
			a.log.WarnContext(r.Context(), "remove setup token file", slog.Any("err", err))
		}
	}
	a.render(w, r, http.StatusOK, "setup_done.html", setupDonePage{Username: u.Username})
}

// setupFormError re-renders the form for a fixable error and hands any other
// error to httpError.
func (a *Admin) setupFormError(w http.ResponseWriter, r *http.Request, f setupForm, err error) {
	msg := formMessage(err)
	if msg == "" {
		a.httpError(w, r, err)
		return
	}
	page := setupPage{Token: f.Token, Username: f.Username, Error: msg}
	a.render(w, r, http.StatusUnprocessableEntity, "setup.html", page)
}
