package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestInviteSingleUseAndExpiry covers the store: a token works once, not
// after its expiry, not for a disabled account, and a new invite replaces
// the old one; only its hash is stored.
func TestInviteSingleUseAndExpiry(t *testing.T) {
	clock := newFakeClock()
	s, path := openTestStore(t, storeOptions{now: clock.Now})
	ctx := t.Context()
	for _, n := range []string{"ada", "bob"} {
		if _, err := s.CreateUser(ctx, NewUser{Username: n, Password: n + " password x", Role: RoleMember, Actor: ActorCLI}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := s.CreateInvite(ctx, ActorCLI, "ada", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if dbFilesContain(t, path, tok) {
		t.Error("the invite token is stored in clear")
	}
	if u, err := s.InviteUser(ctx, tok); err != nil || u.Username != "ada" {
		t.Fatalf("invite user: %+v, %v", u, err)
	}
	if _, err := s.RedeemInvite(ctx, tok, "short"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("weak password: got %v", err)
	}
	if _, err := s.RedeemInvite(ctx, tok, "ada's own password"); err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "ada", "ada's own password"); err != nil {
		t.Errorf("sign in with the chosen password: %v", err)
	}
	if _, err := s.RedeemInvite(ctx, tok, "another password"); !errors.Is(err, ErrInviteInvalid) {
		t.Errorf("second use: got %v, want ErrInviteInvalid", err)
	}

	old, _ := s.CreateInvite(ctx, ActorCLI, "bob", time.Hour)
	fresh, _ := s.CreateInvite(ctx, ActorCLI, "bob", time.Hour)
	if _, err := s.InviteUser(ctx, old); !errors.Is(err, ErrInviteInvalid) {
		t.Errorf("replaced invite: got %v, want ErrInviteInvalid", err)
	}
	clock.Advance(time.Hour)
	if _, err := s.InviteUser(ctx, fresh); !errors.Is(err, ErrInviteInvalid) {
		t.Errorf("expired invite: got %v, want ErrInviteInvalid", err)
	}
	late, _ := s.CreateInvite(ctx, ActorCLI, "bob", time.Hour)
	off := true
	if _, err := s.UpdateUser(ctx, ActorCLI, "bob", UserUpdate{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemInvite(ctx, late, "bob's new password"); !errors.Is(err, ErrInviteInvalid) {
		t.Errorf("disabled account: got %v, want ErrInviteInvalid", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
		if _, err := s.InviteUser(ctx, bad); !errors.Is(err, ErrInviteInvalid) {
			t.Errorf("token %q: got %v", bad, err)
		}
	}
}

// TestInvitePages follows an invite link as its recipient: the form, a
// mismatch, the password set, the link dead afterwards, and a sign-in.
func TestInvitePages(t *testing.T) {
	e := newAuthzEnv(t)
	admin := e.client(asAdmin)
	r := e.do(admin, "POST", "/admin/users", url.Values{"username": {"newbie"}, "name": {"New Bie"}, "role": {"member"}})
	i := strings.Index(r.body, "/admin/invite/")
	if r.status != 200 || i < 0 {
		t.Fatalf("create without password: got %d, want the invite link:\n%s", r.status, r.body)
	}
	link := r.body[i : i+len("/admin/invite/")+sessionIDLen]
	guest := e.browser()
	steps := []struct {
		method string
		form   url.Values
		want   int
		text   string
	}{
		{"GET", nil, 200, "Welcome, New Bie"},
		{"POST", url.Values{"password": {"newbie password"}, "confirm": {"different one"}}, 422, "do not match"},
		{"POST", url.Values{"password": {"short"}, "confirm": {"short"}}, 422, "at least 10"},
		{"POST", url.Values{"password": {"newbie password"}, "confirm": {"newbie password"}}, 200, "Password set"},
		{"GET", nil, 404, "does not work"},
		{"POST", url.Values{"password": {"again password"}, "confirm": {"again password"}}, 404, "does not work"},
	}
	for _, st := range steps {
		got := e.do(guest, st.method, link, st.form)
		if got.status != st.want || !strings.Contains(got.body, st.text) {
			t.Errorf("%s %v: got %d, want %d with %q", st.method, st.form, got.status, st.want, st.text)
		}
		if strings.Contains(got.body, "<script") {
			t.Errorf("invite page runs script")
		}
	}
	if r := e.login(e.browser(), "newbie", "newbie password"); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the chosen password: got %d", r.status)
	}
	audit, err := e.store.ListAudit(t.Context(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, a := range audit.Entries {
		seen = seen || a.Action == "user.redeem_invite" && a.Source == "127.0.0.1"
	}
	if !seen {
		t.Error("the redemption is not in the audit log with its source address")
	}
}
