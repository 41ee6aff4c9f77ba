package admin

import (
	"net/http"
	"time"
)

// apiUser is a user as the API shows it.
type apiUser struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPIUser(u User) apiUser {
	return apiUser{ID: u.ID, Username: u.Username, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// apiNewUser is the body of POST /users.
type apiNewUser struct {
	Username string `json:"username"`
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
	u, err := a.store.CreateUser(r.Context(), NewUser{Username: in.Username, Password: in.Password,
		Role: in.Role, Actor: tokenActor(r.Context())})
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusCreated, toAPIUser(u))
}
