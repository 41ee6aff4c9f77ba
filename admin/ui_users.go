package admin

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// usersPage is the data of users.html.
type usersPage struct {
	Users    []User
	Form     NewUser
	Error    string
	Roster   string
	RosterOK bool
}

// userPage is the data of user.html.
type userPage struct {
	User    User
	Error   string
	PwError string
	Self    bool
}

// inviteCreatedPage is the data of invitecreated.html.
type inviteCreatedPage struct {
	User    User
	Link    string
	Expires time.Time
}

// bulkRow is one line of the bulk creation report.
type bulkRow struct {
	Line     int
	Text     string
	Username string
	Name     string
	Role     string
	Link     string
	Error    string
}

// bulkPage is the data of bulk.html.
type bulkPage struct {
	Rows            []bulkRow
	Created, Failed int
	Expires         time.Time
}

// userFormMessage explains a fixable user form error, or returns "".
func userFormMessage(err error) string {
	if msg := formMessage(err); msg != "" {
		return msg
	}
	switch {
	case errors.Is(err, ErrInvalidRole):
		return "Choose a role."
	case errors.Is(err, ErrInvalidName):
		return "The name must be at most 64 printable characters."
	case errors.Is(err, ErrLastAdmin):
		return "This is the last enabled administrator: make another one first."
	}
	return ""
}

// listUsers serves GET /users.
func (a *Admin) listUsers(w http.ResponseWriter, r *http.Request) {
	a.renderUsers(w, r, http.StatusOK, usersPage{Form: NewUser{Role: RoleMember}})
}

func (a *Admin) renderUsers(w http.ResponseWriter, r *http.Request, status int, page usersPage) {
	users, err := a.store.ListUsers(r.Context())
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	page.Users = users
	a.render(w, r, status, "users.html", page)
}

// inviteLink is the absolute link of an invite token on this host.
func inviteLink(r *http.Request, token string) string {
	return "https://" + r.Host + basePath + "/invite/" + token
}

// createUser serves POST /users. Without a password the account gets an
// unusable random one and an invite link, shown once, to set its own.
func (a *Admin) createUser(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		a.httpError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	nu := NewUser{Username: strings.TrimSpace(r.PostForm.Get("username")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Role: r.PostForm.Get("role"), Password: r.PostForm.Get("password"), Actor: p.actor()}
	invite := nu.Password == ""
	if invite {
		var err error
		if nu.Password, _, err = newSecret(); err != nil {
			a.httpError(w, r, err)
			return
		}
	}
	u, err := a.store.CreateUser(r.Context(), nu)
	if err != nil {
		page := usersPage{Form: NewUser{Username: nu.Username, Name: nu.Name, Role: nu.Role}, Error: userFormMessage(err)}
		if page.Error == "" {
			a.httpError(w, r, err)
			return
		}
		a.renderUsers(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	if !invite {
		redirectDone(w, r, "/users/"+u.Username, "user-saved")
		return
	}
	a.renderInvite(w, r, u)
}

// renderInvite makes an invite for u and shows its link once.
func (a *Admin) renderInvite(w http.ResponseWriter, r *http.Request, u User) {
	token, err := a.store.CreateInvite(r.Context(), principalFrom(r.Context()).actor(), u.Username, DefaultInviteTTL)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "invitecreated.html", inviteCreatedPage{User: u, Link: inviteLink(r, token),
		Expires: a.store.now().Add(DefaultInviteTTL)})
}

// bulkCreateUsers serves POST /users/bulk: one account per valid roster
// line, each with an invite link, and a report line for every line.
func (a *Admin) bulkCreateUsers(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxRosterBytes+4096); err != nil {
		a.httpError(w, r, err)
		return
	}
	actor := principalFrom(r.Context()).actor()
	entries, errs := ParseRoster(r.PostForm.Get("roster"))
	page := bulkPage{Expires: a.store.now().Add(DefaultInviteTTL)}
	for _, e := range errs {
		page.Rows = append(page.Rows, bulkRow{Line: e.Line, Text: e.Text, Error: e.Err.Error()})
	}
	for _, e := range entries {
		row := bulkRow{Line: e.Line, Username: e.Username, Name: e.Name, Role: e.Role}
		row.Link, row.Error = a.createInvited(r, actor, e)
		page.Rows = append(page.Rows, row)
	}
	sortBulk(page.Rows)
	for _, row := range page.Rows {
		if row.Error == "" {
			page.Created++
		} else {
			page.Failed++
		}
	}
	a.render(w, r, http.StatusOK, "bulk.html", page)
}

// createInvited creates one roster account and its invite, returning the
// link or the reason it failed.
func (a *Admin) createInvited(r *http.Request, actor string, e RosterEntry) (link, problem string) {
	pw, _, err := newSecret()
	if err == nil {
		_, err = a.store.CreateUser(r.Context(), NewUser{Username: e.Username, Name: e.Name, Role: e.Role,
			Password: pw, Actor: actor})
	}
	var token string
	if err == nil {
		token, err = a.store.CreateInvite(r.Context(), actor, e.Username, DefaultInviteTTL)
	}
	if err != nil {
		if msg := userFormMessage(err); msg != "" {
			return "", msg
		}
		a.log.ErrorContext(r.Context(), "bulk create user", "line", e.Line, "err", err)
		return "", "server error: see the log"
	}
	return inviteLink(r, token), ""
}

// sortBulk puts the report in the order of the pasted lines.
func sortBulk(rows []bulkRow) {
	slices.SortStableFunc(rows, func(x, y bulkRow) int { return cmp.Compare(x.Line, y.Line) })
}

// showUser serves GET /users/{username}.
func (a *Admin) showUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.store.UserByUsername(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "user.html", userPage{User: u, Self: u.ID == principalFrom(r.Context()).user.ID})
}

// updateUser serves POST /users/{username}: name, role and disabled.
func (a *Admin) updateUser(w http.ResponseWriter, r *http.Request) {
	u, ok := a.userForm(w, r)
	if !ok {
		return
	}
	name, role, disabled := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("role"), r.PostForm.Get("disabled") == "on"
	_, err := a.store.UpdateUser(r.Context(), principalFrom(r.Context()).actor(), u.Username,
		UserUpdate{Name: &name, Role: &role, Disabled: &disabled})
	if err != nil {
		a.userFormError(w, r, u, err, false)
		return
	}
	redirectDone(w, r, "/users/"+u.Username, "user-saved")
}

// userFormError re-renders user.html with a message on one of its forms.
func (a *Admin) userFormError(w http.ResponseWriter, r *http.Request, u User, err error, pw bool) {
	msg := userFormMessage(err)
	if msg == "" {
		a.httpError(w, r, err)
		return
	}
	page := userPage{User: u, Self: u.ID == principalFrom(r.Context()).user.ID}
	if pw {
		page.PwError = msg
	} else {
		page.Error = msg
	}
	a.render(w, r, http.StatusUnprocessableEntity, "user.html", page)
}

// setUserPassword serves POST /users/{username}/password.
func (a *Admin) setUserPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := a.userForm(w, r)
	if !ok {
		return
	}
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("confirm") {
		a.userFormError(w, r, u, errPasswordMismatch, true)
		return
	}
	if err := a.store.SetPassword(r.Context(), principalFrom(r.Context()).actor(), u.Username, pw); err != nil {
		a.userFormError(w, r, u, err, true)
		return
	}
	redirectDone(w, r, "/users/"+u.Username, "password-set")
}

// inviteUser serves POST /users/{username}/invite: a new one-time link.
func (a *Admin) inviteUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.store.UserByUsername(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.renderInvite(w, r, u)
}

// deleteUser serves POST /users/{username}/delete.
func (a *Admin) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.store.UserByUsername(r.Context(), chi.URLParam(r, "username"))
	if err == nil {
		err = a.store.DeleteUser(r.Context(), principalFrom(r.Context()).actor(), u.Username)
	}
	if errors.Is(err, ErrLastAdmin) {
		a.userFormError(w, r, u, err, false)
		return
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	redirectDone(w, r, "/users", "user-deleted")
}

// userForm reads the user of the URL and the posted form of a user page's
// action; on failure it has answered already.
func (a *Admin) userForm(w http.ResponseWriter, r *http.Request) (User, bool) {
	u, err := a.store.UserByUsername(r.Context(), chi.URLParam(r, "username"))
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err != nil {
		a.httpError(w, r, err)
		return User{}, false
	}
	return u, true
}
