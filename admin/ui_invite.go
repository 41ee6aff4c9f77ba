package admin

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// invitePage is the data of invite.html.
type invitePage struct {
	Token string
	User  User
	Error string
	Done  bool
}

// getInvite serves GET /invite/{token}: the form to choose a password, or
// 404 for a link that is unknown, used or expired.
func (a *Admin) getInvite(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	u, err := a.store.InviteUser(r.Context(), token)
	if err != nil {
		a.inviteError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "invite.html", invitePage{Token: token, User: u})
}

// postInvite serves POST /invite/{token}: it sets the password and spends
// the link.
func (a *Admin) postInvite(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	u, err := a.store.InviteUser(r.Context(), token)
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err != nil {
		a.inviteError(w, r, err)
		return
	}
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("confirm") {
		err = errPasswordMismatch
	} else {
		_, err = a.store.RedeemInvite(WithAuditSource(r.Context(), clientIP(r)), token, pw)
	}
	if msg := formMessage(err); msg != "" {
		a.render(w, r, http.StatusUnprocessableEntity, "invite.html", invitePage{Token: token, User: u, Error: msg})
		return
	}
	if err != nil {
		a.inviteError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "invite.html", invitePage{User: u, Done: true})
}

// inviteError shows a dead link as such (404); anything else is httpError's.
func (a *Admin) inviteError(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, ErrInviteInvalid) {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, http.StatusNotFound, "invite.html", invitePage{})
}
