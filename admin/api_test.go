package admin

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// newAPIServer serves the API at /api/v1, as the appliance mounts it, and
// returns a valid service token.
func newAPIServer(t *testing.T, turn func(string) (string, string, time.Duration, []string)) (*httptest.Server, string) {
	t.Helper()
	s, _ := openTestStore(t, storeOptions{})
	a, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TURNCredentials: turn}, s)
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.CreateAPIToken(t.Context(), ActorCLI, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/api/v1", a.APIHandler())
	srv := httptest.NewTLSServer(r)
	t.Cleanup(srv.Close)
	return srv, token
}

type apiStep struct {
	name, method, path, token, ctype, body string
	want                                   int
	wantCode                               string // JSON "code" of an error reply
	contains                               []string
}

func (st apiStep) run(t *testing.T, srv *httptest.Server) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), st.method, srv.URL+st.path, strings.NewReader(st.body))
	if err != nil {
		t.Fatal(err)
	}
	if st.token != "" {
		req.Header.Set("Authorization", "Bearer "+st.token)
	}
	if st.ctype != "" {
		req.Header.Set("Content-Type", st.ctype)
	}
	resp, b := roundTrip(t, srv.Client(), req)
	if resp.StatusCode != st.want || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q, want %d application/json; body %s", resp.StatusCode,
			resp.Header.Get("Content-Type"), st.want, b)
	}
	var e struct{ Error, Code string }
	if err := json.Unmarshal(b, &e); err != nil {
		t.Errorf("body is not JSON: %v: %s", err, b)
	}
	if st.wantCode != "" && (e.Code != st.wantCode || e.Error == "") {
		t.Errorf("error: got code %q message %q, want code %q", e.Code, e.Error, st.wantCode)
	}
	for _, c := range st.contains {
		if !strings.Contains(string(b), c) {
			t.Errorf("body %s lacks %q", b, c)
		}
	}
}

// TestAPIUsers covers authentication and the first CRUD pair, including
// validation (400) and conflicts (409).
func TestAPIUsers(t *testing.T) {
	srv, tok := newAPIServer(t, nil)
	const js = "application/json"
	bad := "cnv_" + strings.Repeat("A", 43)
	steps := []apiStep{
		{name: "no token", method: "GET", path: "/api/v1/users", want: 401, wantCode: "unauthenticated"},
		{name: "bad token", method: "GET", path: "/api/v1/users", token: bad, want: 401, wantCode: "unauthenticated"},
		{name: "garbage token", method: "GET", path: "/api/v1/users", token: "x y", want: 401, wantCode: "unauthenticated"},
		{name: "empty list", method: "GET", path: "/api/v1/users", token: tok, want: 200, contains: []string{`{"users":[]}`}},
		{name: "create", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"alice","password":"alice password","role":"moderator"}`, want: 201,
			contains: []string{`"username":"alice"`, `"role":"moderator"`, `"disabled":false`, `"created_at":"`}},
		{name: "duplicate", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"ALICE","password":"alice password","role":"member"}`, want: 409, wantCode: "exists"},
		{name: "bad role", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"bob","password":"bob password","role":"root"}`, want: 400, wantCode: "invalid_role"},
		{name: "short password", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"bob","password":"short","role":"member"}`, want: 400, wantCode: "weak_password"},
		{name: "bad username", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"<b>","password":"bob password","role":"member"}`, want: 400, wantCode: "invalid_username"},
		{name: "unknown field", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"bob","password":"bob password","role":"member","admin":true}`, want: 400, wantCode: "bad_request"},
		{name: "trailing data", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"bob","password":"bob password","role":"member"} {}`, want: 400, wantCode: "bad_request"},
		{name: "not json", method: "POST", path: "/api/v1/users", token: tok, ctype: "text/plain",
			body: `{}`, want: 415, wantCode: "unsupported_media_type"},
		{name: "too large", method: "POST", path: "/api/v1/users", token: tok, ctype: js,
			body: `{"username":"` + strings.Repeat("a", maxJSONBytes) + `"}`, want: 413, wantCode: "too_large"},
		{name: "list", method: "GET", path: "/api/v1/users", token: tok, want: 200,
			contains: []string{`"username":"alice"`}},
		{name: "unknown route", method: "GET", path: "/api/v1/nope", token: tok, want: 404, wantCode: "not_found"},
		{name: "unknown route, no token", method: "GET", path: "/api/v1/nope", want: 401, wantCode: "unauthenticated"},
		{name: "wrong method", method: "DELETE", path: "/api/v1/users", token: tok, want: 405, wantCode: "method_not_allowed"},
		{name: "turn disabled", method: "POST", path: "/api/v1/turn/credentials", token: tok, want: 404, wantCode: "not_found"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, srv) })
	}
}

// TestAPITURNCredentials checks that the endpoint relays the lead's function.
func TestAPITURNCredentials(t *testing.T) {
	var gotUser string
	turn := func(user string) (string, string, time.Duration, []string) {
		gotUser = user
		return "1700000000:" + user, "c2VjcmV0", time.Hour, []string{"turn:127.0.0.1:3478?transport=udp"}
	}
	srv, tok := newAPIServer(t, turn)
	apiStep{name: "no token", method: "POST", path: "/api/v1/turn/credentials", want: 401,
		wantCode: "unauthenticated"}.run(t, srv)
	apiStep{name: "credentials", method: "POST", path: "/api/v1/turn/credentials", token: tok, want: 200,
		contains: []string{`"username":"1700000000:api_token:1"`, `"password":"c2VjcmV0"`, `"ttl":3600`,
			`"uris":["turn:127.0.0.1:3478?transport=udp"]`}}.run(t, srv)
	if gotUser != "api_token:1" {
		t.Errorf("TURNCredentials got user %q, want api_token:1", gotUser)
	}
}

// FuzzDecodeJSONBody checks that no body makes the decoder panic or accept
// more than one value.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b","role":"member"}`, `{}`, `[]`, `{"x":1}`,
		`{"username":"a"} {}`, `null`, `{"username":"\u0000"}`, `{`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in apiNewUser
		if err := decodeJSONBody(strings.NewReader(body), &in); err != nil {
			return
		}
		dec := json.NewDecoder(strings.NewReader(body))
		var first, second json.RawMessage
		if dec.Decode(&first) != nil || dec.Decode(&second) != io.EOF {
			t.Fatalf("accepted %q, which is not exactly one JSON value", body)
		}
	})
}

// TestAPIUserTokenForbidden checks that a token tied to a user cannot manage
// users (only service tokens can, until user tokens get role checks).
func TestAPIUserTokenForbidden(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	a, err := New(Config{}, s)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(t.Context(), NewUser{Username: "mem", Password: "mem password", Role: RoleMember, Actor: ActorCLI})
	if err != nil {
		t.Fatal(err)
	}
	secret, digest, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(t.Context(), `INSERT INTO api_tokens (name, token_hash, user_id, created_at)
		VALUES ('mine', ?, ?, 0)`, digest, u.ID); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/api/v1", a.APIHandler())
	srv := httptest.NewTLSServer(r)
	t.Cleanup(srv.Close)
	apiStep{name: "user token", method: "GET", path: "/api/v1/users", token: apiTokenPrefix + secret,
		want: 403, wantCode: "forbidden"}.run(t, srv)
}
