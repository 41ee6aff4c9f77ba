package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// tokensPage is the data of tokens.html. Token is set once, right after
// creation, and never again.
type tokensPage struct {
	Tokens []APITokenInfo
	Token  string
	Name   string
	Error  string
	All    bool
}

// tokenOwner is whose tokens p may list and revoke: 0 (all) for admins.
func tokenOwner(p principal) int64 {
	if p.isAdmin() {
		return 0
	}
	return p.user.ID
}

// listTokens serves GET /tokens.
func (a *Admin) listTokens(w http.ResponseWriter, r *http.Request) {
	a.renderTokens(w, r, http.StatusOK, tokensPage{})
}

func (a *Admin) renderTokens(w http.ResponseWriter, r *http.Request, status int, page tokensPage) {
	p := principalFrom(r.Context())
	tokens, err := a.store.ListAPITokens(r.Context(), tokenOwner(p))
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	page.Tokens, page.All = tokens, p.isAdmin()
	a.render(w, r, status, "tokens.html", page)
}

// createToken serves POST /tokens: a token that acts as the signed-in user,
// shown once on the page that answers.
func (a *Admin) createToken(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		a.httpError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	name := strings.TrimSpace(r.PostForm.Get("name"))
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || days < 0 || days > 3650 {
		days = 90
	}
	token, err := a.store.CreateUserAPIToken(r.Context(), p.actor(), p.user.ID, name, time.Duration(days)*24*time.Hour)
	if errors.Is(err, ErrInvalidName) {
		a.renderTokens(w, r, http.StatusUnprocessableEntity, tokensPage{Name: name,
			Error: "The token name must be 1 to 64 printable characters."})
		return
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	a.renderTokens(w, r, http.StatusOK, tokensPage{Token: token})
}

// revokeToken serves POST /tokens/{id}/revoke. A moderator's attempt on
// another's token is 404.
func (a *Admin) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		a.httpError(w, r, ErrNotFound)
		return
	}
	p := principalFrom(r.Context())
	if err := a.store.RevokeAPIToken(r.Context(), p.actor(), id, tokenOwner(p)); err != nil {
		a.httpError(w, r, err)
		return
	}
	redirectDone(w, r, "/tokens", "token-revoked")
}
