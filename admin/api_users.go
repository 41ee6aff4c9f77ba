package admin

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// apiUser is a user as the API shows it.
type apiUser struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPIUser(u User) apiUser {
	return apiUser{ID: u.ID, Username: u.Username, Name: u.Name, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// apiNewUser is the body of POST /users.
type apiNewUser struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// apiListUsers serves GET /users: {"users": [...]}.
func (a *Admin) apiListUsers(w http.ResponseWriter, r *http.Request) {
	users, err := a.store.ListUsers(r.Context())
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	out := make([]apiUser, 0, len(users))
	for _, u := range users {
		out = append(out, toAPIUser(u))
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"users": out})
}

// apiCreateUser serves POST /users: 201 with the new user, 400 on invalid
// fields, 409 if the name is taken.
func (a *Admin) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var in apiNewUser
	if err := decodeJSON(w, r, &in); err != nil {
		a.apiError(w, r, err)
		return
	}
	u, err := a.store.CreateUser(r.Context(), NewUser{Username: in.Username, Name: in.Name, Password: in.Password,
		Role: in.Role, Actor: tokenActor(r.Context())})
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, toAPIUser(u))
}

// apiUserUpdate is the body of PATCH /users/{username}; omitted (or null)
// fields stay as they are.
type apiUserUpdate struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// apiGetUser serves GET /users/{username}.
func (a *Admin) apiGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.store.UserByUsername(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, toAPIUser(u))
}

// apiUpdateUser serves PATCH /users/{username}: 200 with the user as it now
// is; 409 (last_admin) if no enabled admin would remain.
func (a *Admin) apiUpdateUser(w http.ResponseWriter, r *http.Request) {
	var in apiUserUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		a.apiError(w, r, err)
		return
	}
	u, err := a.store.UpdateUser(r.Context(), tokenActor(r.Context()), chi.URLParam(r, "username"),
		UserUpdate{Name: in.Name, Role: in.Role, Disabled: in.Disabled})
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, toAPIUser(u))
}

// apiDeleteUser serves DELETE /users/{username}: 204 with no body.
func (a *Admin) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	if err := a.store.DeleteUser(r.Context(), tokenActor(r.Context()), chi.URLParam(r, "username")); err != nil {
		a.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
