package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// recMeetings is a Meetings with fixed meetings that records actions. An
// action on a room it does not list is ErrNotFound, as the appliance's
// adapter answers.
type recMeetings struct {
	mu      sync.Mutex
	list    []Meeting
	actions []string
}

func newRecMeetings(rooms ...string) *recMeetings {
	m := &recMeetings{}
	for _, r := range rooms {
		m.list = append(m.list, Meeting{Room: r, Started: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC),
			Participants: []MeetingParticipant{{ID: "p1", Name: "Ada", Role: "guest", BitrateIn: 1000}}})
	}
	return m
}

func (m *recMeetings) List(context.Context) []Meeting {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Meeting(nil), m.list...)
}

func (m *recMeetings) act(what, room string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.list {
		if x.Room == room {
			m.actions = append(m.actions, what+" "+room)
			return nil
		}
	}
	return fmt.Errorf("meeting %q: %w", room, ErrNotFound)
}

func (m *recMeetings) End(_ context.Context, room string) error       { return m.act("end", room) }
func (m *recMeetings) Remove(_ context.Context, room, _ string) error { return m.act("remove", room) }
func (m *recMeetings) Mute(_ context.Context, room, _ string) error   { return m.act("mute", room) }
func (m *recMeetings) Admit(_ context.Context, room, _ string) error  { return m.act("admit", room) }
func (m *recMeetings) Deny(_ context.Context, room, _ string) error   { return m.act("deny", room) }

func (m *recMeetings) done() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.actions...)
}

// authzEnv is a server with one account of each kind, the moderator mo's
// room "mine", a room "granted" to mo, and another moderator's "theirs",
// with meetings running in mine and theirs.
type authzEnv struct {
	*loginEnv
	meetings *recMeetings
	users    map[string]User
}

// The kinds of caller the matrices try.
const (
	asAnon    = "anon"
	asMember  = "member"
	asMod     = "mod"
	asAdmin   = "admin"
	asService = "service"
)

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	meetings := newRecMeetings("mine", "theirs", "adhoc-1")
	e := &authzEnv{meetings: meetings, users: make(map[string]User)}
	e.loginEnv = newLoginEnvConfig(t, Config{Meetings: meetings, EventInterval: 50 * time.Millisecond, Health: func() Health { return Health{Version: "test"} },
		TURNCredentials: func(string) (string, string, time.Duration, []string) { return "u", "p", time.Hour, nil }})
	ctx := t.Context()
	for name, role := range map[string]string{"ann": RoleAdmin, "mo": RoleModerator, "other": RoleModerator,
		"mem": RoleMember, "target": RoleMember} {
		e.addUser(name, role)
		u, err := e.store.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u
	}
	for slug, owner := range map[string]string{"mine": "mo", "granted": "ann", "theirs": "other"} {
		if _, err := e.store.CreateRoom(ctx, ActorCLI, NewRoom{Slug: slug, CreatedBy: e.users[owner].ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.SetRoomModerators(ctx, ActorCLI, "granted", []int64{e.users["mo"].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateAPIToken(ctx, ActorCLI, "svc", 0); err != nil { // token 1, a service token
		t.Fatal(err)
	}
	return e
}

// client returns a browser signed in as the kind of caller (none for anon).
func (e *authzEnv) client(as string) *http.Client {
	e.t.Helper()
	c := e.browser()
	name := map[string]string{asMember: "mem", asMod: "mo", asAdmin: "ann"}[as]
	if name != "" {
		if r := e.login(c, name, name+" password"); r.status != http.StatusSeeOther {
			e.t.Fatalf("sign in as %s: got %d", name, r.status)
		}
	}
	return c
}

// uiCase is one route of the admin UI and the status each caller gets.
type uiCase struct {
	method, path string
	form         url.Values
	want         map[string]int
}

// codes builds a want map in the order anon, member, mod, admin.
func codes(anon, member, mod, admin int) map[string]int {
	return map[string]int{asAnon: anon, asMember: member, asMod: mod, asAdmin: admin}
}

// uiMatrix lists every UI route but the event stream (TestEvents) and the
// public pages (login, setup, invite, static: their own tests). Destructive
// routes come last, since the cases of one caller share a server.
func uiMatrix() []uiCase {
	get := func(path string, want map[string]int) uiCase { return uiCase{method: "GET", path: path, want: want} }
	post := func(path string, form url.Values, want map[string]int) uiCase {
		if form == nil {
			form = url.Values{}
		}
		return uiCase{method: "POST", path: path, form: form, want: want}
	}
	staff, adminOnly := codes(303, 403, 200, 200), codes(303, 403, 403, 200)
	room := url.Values{"name": {"Renamed"}, "access": {"public"}, "max_participants": {"5"}}
	return []uiCase{
		get("/", codes(303, 200, 200, 200)),
		get("/rooms", staff), get("/rooms/new", staff), get("/rooms/mine", staff), get("/rooms/granted", staff),
		get("/rooms/theirs", codes(303, 403, 404, 200)), get("/rooms/nope", codes(303, 403, 404, 404)),
		get("/tokens", staff),
		get("/users", adminOnly), get("/users/target", adminOnly), get("/settings", adminOnly), get("/audit", adminOnly),
		post("/rooms", url.Values{"slug": {"fresh"}, "access": {"public"}}, codes(401, 403, 303, 303)),
		post("/rooms/mine", room, codes(401, 403, 303, 303)),
		post("/rooms/granted", room, codes(401, 403, 303, 303)),
		post("/rooms/theirs", room, codes(401, 403, 404, 303)),
		post("/meetings/mine/end", nil, codes(401, 403, 303, 303)),
		post("/meetings/theirs/end", nil, codes(401, 403, 404, 303)),
		post("/meetings/adhoc-1/end", nil, codes(401, 403, 404, 303)),
		post("/meetings/mine/participants/p1/remove", nil, codes(401, 403, 303, 303)),
		post("/meetings/theirs/participants/p1/remove", nil, codes(401, 403, 404, 303)),
		post("/meetings/mine/participants/p1/mute", nil, codes(401, 403, 303, 303)),
		post("/meetings/theirs/participants/p1/mute", nil, codes(401, 403, 404, 303)),
		post("/meetings/mine/participants/p1/admit", nil, codes(401, 403, 303, 303)),
		post("/meetings/theirs/participants/p1/admit", nil, codes(401, 403, 404, 303)),
		post("/meetings/mine/participants/p1/deny", nil, codes(401, 403, 303, 303)),
		post("/meetings/theirs/participants/p1/deny", nil, codes(401, 403, 404, 303)),
		post("/tokens", url.Values{"name": {"script"}, "days": {"30"}}, codes(401, 403, 200, 200)),
		post("/tokens/1/revoke", nil, codes(401, 403, 404, 303)),
		post("/users", url.Values{"username": {"new1"}, "role": {"member"}, "password": {"new1 password"}}, codes(401, 403, 403, 303)),
		post("/users/bulk", url.Values{"roster": {"Grace,grace,member"}}, codes(401, 403, 403, 200)),
		post("/users/target", url.Values{"name": {"T"}, "role": {"member"}}, codes(401, 403, 403, 303)),
		post("/users/target/password", url.Values{"password": {"new password!"}, "confirm": {"new password!"}}, codes(401, 403, 403, 303)),
		post("/users/target/invite", nil, codes(401, 403, 403, 200)),
		post("/settings", url.Values{"ad_hoc": {"anyone"}, "default_access": {"public"}}, codes(401, 403, 403, 303)),
		post("/settings/turn-secret", nil, codes(401, 403, 403, 303)),
		post("/rooms/theirs/delete", nil, codes(401, 403, 404, 303)),
		post("/rooms/mine/delete", nil, codes(401, 403, 303, 303)),
		post("/users/target/delete", nil, codes(401, 403, 403, 303)),
		post("/logout", nil, codes(401, 303, 303, 303)),
	}
}

// TestUIAuthorizationMatrix is every UI route for every kind of caller:
// signed out (sent to sign in, or 401 for a POST), member (403: members see
// nothing of the admin but the home page), moderator (own and granted
// rooms only; others' are 404) and admin (everything).
func TestUIAuthorizationMatrix(t *testing.T) {
	for _, as := range []string{asAnon, asMember, asMod, asAdmin} {
		t.Run(as, func(t *testing.T) {
			e := newAuthzEnv(t)
			c := e.client(as)
			for _, tc := range uiMatrix() {
				r := e.do(c, tc.method, "/admin"+tc.path, tc.form)
				if r.status != tc.want[as] {
					t.Errorf("%s %s as %s: got %d, want %d\n%.300s", tc.method, tc.path, as, r.status, tc.want[as], r.body)
				}
			}
		})
	}
}

// TestModeratorSeesOwnRoomsOnly checks the lists, not only the routes.
func TestModeratorSeesOwnRoomsOnly(t *testing.T) {
	e := newAuthzEnv(t)
	rooms := e.do(e.client(asMod), "GET", "/admin/rooms", nil).body
	for slug, want := range map[string]bool{"mine": true, "granted": true, "theirs": false} {
		if got := strings.Contains(rooms, `/admin/rooms/`+slug+`"`); got != want {
			t.Errorf("rooms page lists %s: %v, want %v", slug, got, want)
		}
	}
	dash := e.do(e.client(asMod), "GET", "/admin/", nil).body
	if !strings.Contains(dash, "/admin/meetings/mine/end") || strings.Contains(dash, "theirs") ||
		strings.Contains(dash, "adhoc-1") || strings.Contains(dash, "Server") {
		t.Errorf("moderator dashboard: want the meeting in mine only and no server health:\n%s", dash)
	}
	if got := e.meetings.done(); len(got) != 0 {
		t.Errorf("actions from page views: %q", got)
	}
}

// TestUIMatrixCoversEveryRoute fails when a UI route is added without a
// row in uiMatrix (or a reason to be left out).
func TestUIMatrixCoversEveryRoute(t *testing.T) {
	e := newAuthzEnv(t)
	covered := map[string]bool{"GET /events": true, "GET /login": true, "POST /login": true, "GET /setup": true,
		"POST /setup": true, "GET /static/{name}": true, "GET /invite/{token}": true, "POST /invite/{token}": true}
	router := e.admin.Handler().(chi.Routes)
	for _, tc := range uiMatrix() {
		rctx := chi.NewRouteContext()
		if !router.Match(rctx, tc.method, tc.path) {
			t.Errorf("matrix row %s %s matches no route", tc.method, tc.path)
			continue
		}
		covered[tc.method+" "+rctx.RoutePattern()] = true
	}
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !covered[method+" "+route] {
			t.Errorf("route %s %s has no row in the authorization matrix", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// apiCase is one API call and the status each kind of token gets.
type apiCase struct {
	method, path, body string
	want               map[string]int
}

// apiCodes builds a want map in the order none, member, mod, admin, service.
func apiCodes(none, member, mod, admin, service int) map[string]int {
	return map[string]int{asAnon: none, asMember: member, asMod: mod, asAdmin: admin, asService: service}
}

func apiMatrix() []apiCase {
	adminOnly := func(ok int) map[string]int { return apiCodes(401, 403, 403, ok, ok) }
	staff := func(ok int) map[string]int { return apiCodes(401, 403, ok, ok, ok) }
	others := func(ok int) map[string]int { return apiCodes(401, 403, 404, ok, ok) }
	return []apiCase{
		{"GET", "/users", "", adminOnly(200)},
		{"POST", "/users", `{"username":"new1","password":"new1 password","role":"member"}`, adminOnly(201)},
		{"GET", "/users/target", "", adminOnly(200)},
		{"PATCH", "/users/target", `{"name":"Tess"}`, adminOnly(200)},
		{"GET", "/rooms", "", staff(200)},
		{"POST", "/rooms", `{"slug":"api-room"}`, staff(201)},
		{"GET", "/rooms/mine", "", staff(200)},
		{"GET", "/rooms/granted", "", staff(200)},
		{"GET", "/rooms/theirs", "", others(200)},
		{"PATCH", "/rooms/mine", `{"lobby":true}`, staff(200)},
		{"PATCH", "/rooms/theirs", `{"lobby":true}`, others(200)},
		{"GET", "/meetings", "", staff(200)},
		{"POST", "/meetings/mine/end", "", staff(204)},
		{"POST", "/meetings/theirs/end", "", others(204)},
		{"POST", "/meetings/adhoc-1/end", "", others(204)},
		{"POST", "/meetings/nowhere/end", "", apiCodes(401, 403, 404, 404, 404)},
		{"POST", "/meetings/mine/participants/p1/remove", "", staff(204)},
		{"POST", "/meetings/theirs/participants/p1/remove", "", others(204)},
		{"POST", "/meetings/mine/participants/p1/mute", "", staff(204)},
		{"POST", "/meetings/theirs/participants/p1/mute", "", others(204)},
		{"POST", "/meetings/mine/participants/p1/admit", "", staff(204)},
		{"POST", "/meetings/theirs/participants/p1/admit", "", others(204)},
		{"POST", "/meetings/mine/participants/p1/deny", "", staff(204)},
		{"POST", "/meetings/theirs/participants/p1/deny", "", others(204)},
		{"POST", "/turn/credentials", "", apiCodes(401, 200, 200, 200, 200)},
		{"DELETE", "/rooms/theirs", "", others(204)},
		{"DELETE", "/rooms/mine", "", staff(204)},
		{"DELETE", "/users/target", "", adminOnly(204)},
	}
}

// apiToken returns a token of the kind: a user's own token, or a service
// token made as on the command line.
func (e *authzEnv) apiToken(as string) string {
	e.t.Helper()
	ctx := e.t.Context()
	var tok string
	var err error
	switch as {
	case asAnon:
		return ""
	case asService:
		tok, err = e.store.CreateAPIToken(ctx, ActorCLI, "svc2", 0)
	default:
		name := map[string]string{asMember: "mem", asMod: "mo", asAdmin: "ann"}[as]
		tok, err = e.store.CreateUserAPIToken(ctx, ActorCLI, e.users[name].ID, "t", 0)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// TestAPIAuthorizationMatrix applies the UI's rules to API tokens: a user's
// token acts with its user's role; service tokens with an admin's.
func TestAPIAuthorizationMatrix(t *testing.T) {
	for _, as := range []string{asAnon, asMember, asMod, asAdmin, asService} {
		t.Run(as, func(t *testing.T) {
			e := newAuthzEnv(t)
			tok := e.apiToken(as)
			for _, tc := range apiMatrix() {
				ctype := ""
				if tc.body != "" {
					ctype = "application/json"
				}
				st := apiStep{name: tc.method + " " + tc.path, method: tc.method, path: "/api/v1" + tc.path,
					token: tok, ctype: ctype, body: tc.body, want: tc.want[as]}
				if st.want == http.StatusNoContent {
					if got, body := doNoBody(t, e.srv, tc.method, st.path, tok); got != st.want {
						t.Errorf("%s as %s: got %d, want %d: %s", st.name, as, got, st.want, body)
					}
					continue
				}
				st.run(t, e.srv)
			}
		})
	}
}

// TestAPIModeratorListsOwnOnly checks the lists a moderator's token gets.
func TestAPIModeratorListsOwnOnly(t *testing.T) {
	e := newAuthzEnv(t)
	tok := e.apiToken(asMod)
	apiStep{method: "GET", path: "/api/v1/rooms", token: tok, want: 200,
		contains: []string{`"slug":"granted"`, `"slug":"mine"`}}.run(t, e.srv)
	apiStep{method: "GET", path: "/api/v1/meetings", token: tok, want: 200,
		contains: []string{`"room":"mine"`}}.run(t, e.srv)
	for _, path := range []string{"/api/v1/rooms", "/api/v1/meetings"} {
		_, body := doNoBody(t, e.srv, "GET", path, tok)
		if strings.Contains(body, "theirs") || strings.Contains(body, "adhoc") {
			t.Errorf("%s for a moderator shows others' rooms: %s", path, body)
		}
	}
}
