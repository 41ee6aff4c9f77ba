package admin

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestRoomForms: validation messages keep the input, a moderator owns the
// room they create, an empty password keeps the stored one, and moderators
// can be granted.
func TestRoomForms(t *testing.T) {
	e := newAuthzEnv(t)
	mod := e.client(asMod)
	bad := url.Values{"slug": {"Bad Slug"}, "name": {"Bio"}, "access": {"password"}, "password": {"short"}, "max_participants": {"5000"}}
	r := e.do(mod, "POST", "/admin/rooms", bad)
	for _, want := range []string{"link name must be", "at least 10 characters", "0 (none) to 1000", `value="Bio"`} {
		if r.status != 422 || !strings.Contains(r.body, want) {
			t.Errorf("invalid room: got %d, want 422 with %q", r.status, want)
		}
	}
	good := url.Values{"slug": {"bio-8c"}, "name": {"Biology 8C"}, "access": {"password"}, "password": {"photosynthesis"},
		"max_participants": {"25"}, "lobby": {"on"}, "e2ee_required": {"on"}, "moderators": {idString(e.users["other"].ID)}}
	if r := e.do(mod, "POST", "/admin/rooms", good); r.status != 303 || r.header.Get("Location") != "/admin/rooms/bio-8c?done=room-created" {
		t.Fatalf("create: got %d %q", r.status, r.header.Get("Location"))
	}
	room, err := e.store.RoomBySlug(t.Context(), "bio-8c")
	if err != nil || room.CreatedBy != e.users["mo"].ID || !room.Lobby || room.MaxParticipants != 25 || !room.HasPassword {
		t.Fatalf("stored room: %+v, %v", room, err)
	}
	if mods, _ := e.store.RoomModerators(t.Context(), "bio-8c"); len(mods) != 1 || mods[0].Username != "other" {
		t.Errorf("moderators: got %+v", mods)
	}
	keep := url.Values{"name": {"Biology 8C"}, "access": {"password"}, "max_participants": {"25"}}
	if r := e.do(mod, "POST", "/admin/rooms/bio-8c", keep); r.status != 303 {
		t.Fatalf("update: got %d\n%s", r.status, r.body)
	}
	if ok, err := e.store.CheckRoomPassword(t.Context(), "bio-8c", "photosynthesis"); !ok || err != nil {
		t.Errorf("an empty password field dropped the password: %v, %v", ok, err)
	}
	if room, _ := e.store.RoomBySlug(t.Context(), "bio-8c"); room.Lobby || room.E2EERequired {
		t.Errorf("unchecked boxes did not clear: %+v", room)
	}
	if r := e.do(mod, "POST", "/admin/rooms/bio-8c", url.Values{"name": {"B"}, "access": {"public"}, "moderators": {idString(e.users["mem"].ID)}}); r.status != 422 {
		t.Errorf("granting a member: got %d, want 422", r.status)
	}
	if r := e.do(mod, "GET", "/admin/rooms/bio-8c", nil); !strings.Contains(r.body, "Created by mo") ||
		!strings.Contains(r.body, `data-slug="bio-8c"`) || strings.Contains(r.body, "photosynthesis") {
		t.Errorf("room page: owner, link maker, and never the password:\n%s", r.body)
	}
}

// TestUserForms: the roster creates accounts with invite links and reports
// bad lines; a role change signs the user out; the last admin stays.
func TestUserForms(t *testing.T) {
	e := newAuthzEnv(t)
	admin := e.client(asAdmin)
	r := e.do(admin, "POST", "/admin/users/bulk", url.Values{"roster": {"Grace Hopper,grace,member\nno comma\nMo Again,mo,member"}})
	if r.status != 200 || strings.Count(r.body, "/admin/invite/") != 1 || !strings.Contains(r.body, "1 created") ||
		!strings.Contains(r.body, "2 with problems") || !strings.Contains(r.body, "That username is taken.") {
		t.Errorf("roster report:\n%s", r.body)
	}
	if u, err := e.store.UserByUsername(t.Context(), "grace"); err != nil || u.Name != "Grace Hopper" {
		t.Errorf("roster account: %+v, %v", u, err)
	}
	memClient := e.client(asMember)
	if r := e.do(admin, "POST", "/admin/users/mem", url.Values{"name": {"Mem"}, "role": {"moderator"}}); r.status != 303 {
		t.Fatalf("promote: got %d", r.status)
	}
	if r := e.do(memClient, "GET", "/admin/", nil); r.status != 303 {
		t.Errorf("after a role change the old session: got %d, want 303 to sign in", r.status)
	}
	if r := e.do(admin, "POST", "/admin/users/ann", url.Values{"role": {"member"}}); r.status != 422 ||
		!strings.Contains(r.body, "last enabled administrator") {
		t.Errorf("demote the last admin: got %d", r.status)
	}
	if r := e.do(admin, "POST", "/admin/users/target/password", url.Values{"password": {"0123456789"}, "confirm": {"x"}}); r.status != 422 {
		t.Errorf("password mismatch: got %d", r.status)
	}
}

// TestTokenPage: a token is shown once, acts as its creator, and a
// moderator cannot revoke someone else's.
func TestTokenPage(t *testing.T) {
	e := newAuthzEnv(t)
	mod := e.client(asMod)
	r := e.do(mod, "POST", "/admin/tokens", url.Values{"name": {"timetable"}, "days": {"30"}})
	i := strings.Index(r.body, apiTokenPrefix)
	if r.status != 200 || i < 0 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: got %d", r.status)
	}
	tok := r.body[i : i+len(apiTokenPrefix)+sessionIDLen]
	if again := e.do(mod, "GET", "/admin/tokens", nil); strings.Contains(again.body, tok) || !strings.Contains(again.body, "timetable") {
		t.Error("the token list shows the token again, or not its name")
	}
	apiStep{method: "GET", path: "/api/v1/rooms", token: tok, want: 200, contains: []string{`"slug":"mine"`}}.run(t, e.srv)
	apiStep{method: "GET", path: "/api/v1/users", token: tok, want: 403}.run(t, e.srv)
	list, err := e.store.ListAPITokens(t.Context(), e.users["mo"].ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens of mo: %+v, %v", list, err)
	}
	if err := e.store.RevokeAPIToken(t.Context(), ActorCLI, list[0].ID, e.users["other"].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke someone else's: got %v", err)
	}
	if r := e.do(mod, "POST", "/admin/tokens/"+idString(list[0].ID)+"/revoke", url.Values{}); r.status != 303 {
		t.Errorf("revoke own: got %d", r.status)
	}
	apiStep{method: "GET", path: "/api/v1/rooms", token: tok, want: 401}.run(t, e.srv)
}

// TestAuditPaging: newest first, in pages, with the acting user and address.
func TestAuditPaging(t *testing.T) {
	e := newAuthzEnv(t)
	admin := e.client(asAdmin)
	for range 60 {
		e.do(admin, "POST", "/admin/rooms/mine", url.Values{"name": {"Mine"}, "access": {"public"}})
	}
	first := e.do(admin, "GET", "/admin/audit", nil)
	if !strings.Contains(first.body, "page 1 of 2") || !strings.Contains(first.body, "user:ann") ||
		!strings.Contains(first.body, "127.0.0.1") || !strings.Contains(first.body, "?page=2") {
		t.Errorf("first page:\n%.2000s", first.body)
	}
	if last := e.do(admin, "GET", "/admin/audit?page=2", nil); !strings.Contains(last.body, "user.create") {
		t.Error("the oldest entries are not on the last page")
	}
}
