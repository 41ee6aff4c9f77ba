package admin

import (
	"testing"
)

// TestAPIUsersUpdateDelete covers PATCH and DELETE /users/{username},
// including the last-admin guard and validation.
func TestAPIUsersUpdateDelete(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	const js = "application/json"
	steps := []apiStep{
		{name: "create admin", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"root","password":"root password","role":"admin"}`, want: 201},
		{name: "create", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"alice","name":"Alice A.","password":"alice password","role":"member"}`, want: 201,
			contains: []string{`"name":"Alice A."`}},
		{name: "get", method: "GET", path: "/api/v1/users/alice", token: tok, want: 200, contains: []string{`"role":"member"`}},
		{name: "promote", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"role":"moderator","name":"Alice Archer"}`, want: 200,
			contains: []string{`"role":"moderator"`, `"name":"Alice Archer"`, `"disabled":false`}},
		{name: "disable", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"disabled":true}`, want: 200, contains: []string{`"disabled":true`, `"role":"moderator"`}},
		{name: "bad role", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"role":"owner"}`, want: 400, wantCode: "invalid_role"},
		{name: "bad name", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"name":"a\u0000b"}`, want: 400, wantCode: "invalid_name"},
		{name: "no rename", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"username":"bob"}`, want: 400, wantCode: "bad_request"},
		{name: "unknown", method: "PATCH", path: "/api/v1/users/nobody", token: tok, ctype: js,
			body: `{"disabled":true}`, want: 404, wantCode: "not_found"},
		{name: "demote last admin", method: "PATCH", path: "/api/v1/users/root", token: tok, ctype: js,
			body: `{"role":"member"}`, want: 409, wantCode: "last_admin"},
		{name: "disable last admin", method: "PATCH", path: "/api/v1/users/root", token: tok, ctype: js,
			body: `{"disabled":true}`, want: 409, wantCode: "last_admin"},
		{name: "delete last admin", method: "DELETE", path: "/api/v1/users/root", token: tok, want: 409, wantCode: "last_admin"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, srv) })
	}
	if status, body := doNoBody(t, srv, "DELETE", "/api/v1/users/alice", tok); status != 204 || body != "" {
		t.Errorf("delete: got %d %q, want 204 and no body", status, body)
	}
	if status, _ := doNoBody(t, srv, "DELETE", "/api/v1/users/alice", tok); status != 404 {
		t.Errorf("delete again: got %d, want 404", status)
	}
}

// TestAPIDisabledUserToken: the token of a disabled account stops working.
func TestAPIDisabledUserToken(t *testing.T) {
	e := newAuthzEnv(t)
	tok := e.apiToken(asAdmin)
	apiStep{method: "GET", path: "/api/v1/users", token: tok, want: 200}.run(t, e.srv)
	off := true
	if _, err := e.store.UpdateUser(t.Context(), ActorCLI, "ann", UserUpdate{Disabled: &off}); err == nil {
		t.Fatal("disabled the last admin")
	}
	if _, err := e.store.CreateUser(t.Context(), NewUser{Username: "ann2", Password: "ann2 password", Role: RoleAdmin, Actor: ActorCLI}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateUser(t.Context(), ActorCLI, "ann", UserUpdate{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	apiStep{method: "GET", path: "/api/v1/users", token: tok, want: 401, wantCode: "unauthenticated"}.run(t, e.srv)
}

// TestAPIMeetingsDocExamples replays docs/api.md's user and meeting
// examples, in its order, against a server with live meetings.
func TestAPIMeetingsDocExamples(t *testing.T) {
	e := newAuthzEnv(t)
	tok := e.apiToken(asService)
	const js = "application/json"
	steps := []apiStep{
		{name: "create", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username": "alice", "name": "Alice Archer", "password": "correct horse battery", "role": "member"}`, want: 201},
		{name: "promote", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"role": "moderator"}`, want: 200, contains: []string{`"role":"moderator"`}},
		{name: "disable", method: "PATCH", path: "/api/v1/users/alice", token: tok, ctype: js,
			body: `{"disabled": true}`, want: 200, contains: []string{`"disabled":true`}},
		{name: "meetings", method: "GET", path: "/api/v1/meetings", token: tok, want: 200,
			contains: []string{`"room":"mine"`, `"participants":[{"id":"p1"`, `"turn":false`, `"bitrate_in":1000`}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, e.srv) })
	}
	for _, path := range []string{"/api/v1/meetings/mine/participants/p1/mute",
		"/api/v1/meetings/mine/participants/p1/remove", "/api/v1/meetings/mine/end", "/api/v1/users/alice"} {
		method := "POST"
		if path == "/api/v1/users/alice" {
			method = "DELETE"
		}
		if status, body := doNoBody(t, e.srv, method, path, tok); status != 204 {
			t.Errorf("%s %s: got %d %s, want 204", method, path, status, body)
		}
	}
	if got := e.meetings.done(); len(got) != 3 {
		t.Errorf("meeting actions: got %q", got)
	}
	audit, err := e.store.ListAudit(t.Context(), 0, 10)
	if err != nil || audit.Entries[1].Action != "meeting.end" || audit.Entries[1].Object != "room:mine" {
		t.Errorf("meeting actions are not audited: %+v, %v", audit.Entries, err)
	}
}
