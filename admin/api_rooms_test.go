package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAPIRooms walks the rooms CRUD in order: each step sees the state the
// steps before it left.
func TestAPIRooms(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	const js = "application/json"
	steps := []apiStep{
		{name: "no token", method: "GET", path: "/api/v1/rooms", want: 401, wantCode: "unauthenticated"},
		{name: "no token, one room", method: "GET", path: "/api/v1/rooms/maths", want: 401, wantCode: "unauthenticated"},
		{name: "no token, create", method: "POST", path: "/api/v1/rooms", ctype: js, body: `{"slug":"x"}`,
			want: 401, wantCode: "unauthenticated"},
		{name: "empty list", method: "GET", path: "/api/v1/rooms", token: tok, want: 200, contains: []string{`{"rooms":[]}`}},
		{name: "create", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"maths","name":"Maths 7B","access":"password","password":"pythagoras!","lobby":true,"max_participants":30}`,
			want: 201, contains: []string{`"slug":"maths"`, `"name":"Maths 7B"`, `"access":"password"`,
				`"has_password":true`, `"lobby":true`, `"max_participants":30`, `"e2ee_required":true`, `"created_at":"`}},
		{name: "create with defaults", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"art","e2ee_required":false}`, want: 201,
			contains: []string{`"name":"art"`, `"access":"public"`, `"has_password":false`, `"e2ee_required":false`}},
		{name: "duplicate", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"maths"}`, want: 409, wantCode: "exists"},
		{name: "bad slug", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"Maths 7B"}`, want: 400, wantCode: "invalid_slug"},
		{name: "bad access", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"bio","access":"open"}`, want: 400, wantCode: "invalid_access"},
		{name: "password missing", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"bio","access":"password"}`, want: 400, wantCode: "invalid_room_password"},
		{name: "bad limit", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"bio","max_participants":5000}`, want: 400, wantCode: "invalid_max_participants"},
		{name: "unknown field", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"bio","password_hash":"x"}`, want: 400, wantCode: "bad_request"},
		{name: "wrong type", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug":"bio","lobby":"yes"}`, want: 400, wantCode: "bad_request"},
		{name: "not json", method: "POST", path: "/api/v1/rooms", token: tok, ctype: "text/plain",
			body: `{"slug":"bio"}`, want: 415, wantCode: "unsupported_media_type"},
		{name: "get", method: "GET", path: "/api/v1/rooms/maths", token: tok, want: 200,
			contains: []string{`"slug":"maths"`, `"has_password":true`}},
		{name: "get unknown", method: "GET", path: "/api/v1/rooms/bio", token: tok, want: 404, wantCode: "not_found"},
		{name: "list", method: "GET", path: "/api/v1/rooms", token: tok, want: 200,
			contains: []string{`{"rooms":[{"id":2,"slug":"art"`, `"slug":"maths"`}},
		{name: "patch", method: "PATCH", path: "/api/v1/rooms/maths", token: tok, ctype: js,
			body: `{"access":"members","lobby":false,"name":"Maths"}`, want: 200,
			contains: []string{`"access":"members"`, `"has_password":false`, `"lobby":false`, `"name":"Maths"`, `"max_participants":30`}},
		{name: "patch bad access", method: "PATCH", path: "/api/v1/rooms/maths", token: tok, ctype: js,
			body: `{"access":"all"}`, want: 400, wantCode: "invalid_access"},
		{name: "patch slug refused", method: "PATCH", path: "/api/v1/rooms/maths", token: tok, ctype: js,
			body: `{"slug":"physics"}`, want: 400, wantCode: "bad_request"},
		{name: "patch unknown", method: "PATCH", path: "/api/v1/rooms/bio", token: tok, ctype: js,
			body: `{"lobby":true}`, want: 404, wantCode: "not_found"},
		{name: "delete unknown", method: "DELETE", path: "/api/v1/rooms/bio", token: tok, want: 404, wantCode: "not_found"},
		{name: "wrong method", method: "PUT", path: "/api/v1/rooms/maths", token: tok, want: 405, wantCode: "method_not_allowed"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, srv) })
	}
	t.Run("delete", func(t *testing.T) {
		if status, body := doNoBody(t, srv, "DELETE", "/api/v1/rooms/maths", tok); status != 204 || body != "" {
			t.Errorf("got %d %q, want 204 and no body", status, body)
		}
		apiStep{method: "GET", path: "/api/v1/rooms/maths", token: tok, want: 404, wantCode: "not_found"}.run(t, srv)
	})
	t.Run("no token, delete", func(t *testing.T) {
		if status, _ := doNoBody(t, srv, "DELETE", "/api/v1/rooms/art", ""); status != 401 {
			t.Errorf("got %d, want 401", status)
		}
		apiStep{method: "GET", path: "/api/v1/rooms/art", token: tok, want: 200}.run(t, srv)
	})
}

// doNoBody sends a request without a body and returns the status and body.
func doNoBody(t *testing.T, srv *httptest.Server, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := roundTrip(t, srv.Client(), req)
	return resp.StatusCode, string(b)
}

// TestAPIRoomNeverShowsPassword checks every read of a password room for the
// password and its hash.
func TestAPIRoomNeverShowsPassword(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	const pw = "pythagoras!"
	apiStep{method: "POST", path: "/api/v1/rooms", token: tok, ctype: "application/json",
		body: `{"slug":"exam","access":"password","password":"` + pw + `"}`, want: 201}.run(t, srv)
	for _, p := range []string{"/api/v1/rooms", "/api/v1/rooms/exam"} {
		_, body := doNoBody(t, srv, "GET", p, tok)
		if strings.Contains(body, pw) || strings.Contains(body, "argon2") || strings.Contains(body, "password_hash") {
			t.Errorf("GET %s shows the password or its hash: %s", p, body)
		}
	}
}

// TestAPIRoomLocation checks that 201 names the new room's URL.
func TestAPIRoomLocation(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/api/v1/rooms", strings.NewReader(`{"slug":"bio"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Location"); resp.StatusCode != 201 || got != "/api/v1/rooms/bio" {
		t.Errorf("got %d Location %q, want 201 /api/v1/rooms/bio", resp.StatusCode, got)
	}
}

// TestAPIRoomsDocExamples replays the bodies docs/api.md shows, in its order.
func TestAPIRoomsDocExamples(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	const js = "application/json"
	steps := []apiStep{
		{name: "create", method: "POST", path: "/api/v1/rooms", token: tok, ctype: js,
			body: `{"slug": "maths-7b", "name": "Maths 7B", "access": "password", "password": "pythagoras 7b",
       "lobby": true, "max_participants": 30}`, want: 201,
			contains: []string{`"has_password":true`, `"lobby":true`, `"max_participants":30`}},
		{name: "members", method: "PATCH", path: "/api/v1/rooms/maths-7b", token: tok, ctype: js,
			body: `{"access": "members", "lobby": false}`, want: 200,
			contains: []string{`"access":"members"`, `"has_password":false`, `"lobby":false`}},
		{name: "new password", method: "PATCH", path: "/api/v1/rooms/maths-7b", token: tok, ctype: js,
			body: `{"access": "password", "password": "new room password"}`, want: 200,
			contains: []string{`"access":"password"`, `"has_password":true`}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, srv) })
	}
	if status, _ := doNoBody(t, srv, "DELETE", "/api/v1/rooms/maths-7b", tok); status != 204 {
		t.Errorf("delete: got %d, want 204", status)
	}
}
