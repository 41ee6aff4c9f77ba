package admin

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// newTestServer serves the admin handler mounted at /admin, as the appliance
// mounts it, on a loopback port.
func newTestServer(t *testing.T, s *Store, tokenFile string) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(Config{Logger: logger, SetupTokenFile: tokenFile}, s)
	if err != nil {
		t.Fatalf("new admin: %v", err)
	}
	r := chi.NewRouter()
	r.Mount("/admin", a.Handler())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// httpStep is one request of a scripted session and what must come back.
type httpStep struct {
	name     string
	method   string
	path     string
	form     url.Values
	body     string // raw body, when form is nil
	want     int
	contains []string
	excludes []string
}

func (st httpStep) run(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	var body io.Reader
	if st.form != nil {
		body = strings.NewReader(st.form.Encode())
	} else if st.body != "" {
		body = strings.NewReader(st.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), st.method, srv.URL+st.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, b := roundTrip(t, srv.Client(), req)
	if resp.StatusCode != st.want {
		t.Errorf("status: got %d, want %d; body:\n%s", resp.StatusCode, st.want, b)
	}
	for _, c := range st.contains {
		if !strings.Contains(string(b), c) {
			t.Errorf("body lacks %q", c)
		}
	}
	for _, c := range st.excludes {
		if strings.Contains(string(b), c) {
			t.Errorf("body contains %q, want it absent", c)
		}
	}
	checkSecurityHeaders(t, resp.Header)
	return string(b)
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("got nosniff=%q referrer=%q, want nosniff and no-referrer",
			h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
	}
}

// TestSetupHandler is W6 at the handler level: /setup without the token is
// 403; with it the form creates the admin; a second use is 404.
func TestSetupHandler(t *testing.T) {
	s, _, file, token := newSetupStore(t, newFakeClock())
	srv := newTestServer(t, s, file)
	form := func(tok, user, pw, confirm string) url.Values {
		return url.Values{"token": {tok}, "username": {user}, "password": {pw}, "confirm": {confirm}}
	}
	noInline := []string{"<script", "style=", "<style"}
	steps := []httpStep{
		{name: "GET without token", method: "GET", path: "/admin/setup", want: 403},
		{name: "GET with wrong token", method: "GET", path: "/admin/setup?token=nope", want: 403},
		{name: "GET with token", method: "GET", path: "/admin/setup?token=" + token, want: 200,
			contains: []string{`name="token" value="` + token + `"`, `action="/admin/setup"`, `href="/admin/static/admin.css?v=`},
			excludes: noInline},
		{name: "POST without token", method: "POST", path: "/admin/setup",
			form: form("", "root", "0123456789", "0123456789"), want: 403},
		{name: "POST mismatch", method: "POST", path: "/admin/setup",
			form: form(token, "root", "0123456789", "0123456780"), want: 422,
			contains: []string{"do not match", `value="root"`}, excludes: []string{"0123456789"}},
		{name: "POST short password", method: "POST", path: "/admin/setup",
			form: form(token, "root", "short", "short"), want: 422, contains: []string{"at least 10"}},
		{name: "POST bad username", method: "POST", path: "/admin/setup",
			form: form(token, "<b>root</b>", "0123456789", "0123456789"), want: 422,
			contains: []string{"Usernames are", "&lt;b&gt;root&lt;/b&gt;"}, excludes: []string{"<b>root"}},
		{name: "POST oversized", method: "POST", path: "/admin/setup",
			body: "token=" + token + "&username=" + strings.Repeat("a", maxFormBytes), want: 413},
		{name: "POST valid", method: "POST", path: "/admin/setup",
			form: form(token, "root", "0123456789", "0123456789"), want: 200,
			contains: []string{"Setup complete", "root"}},
		{name: "POST second use", method: "POST", path: "/admin/setup",
			form: form(token, "root2", "0123456789", "0123456789"), want: 404},
		{name: "GET after setup", method: "GET", path: "/admin/setup?token=" + token, want: 404},
		{name: "login page", method: "GET", path: "/admin/login", want: 200,
			contains: []string{"Sign in", `href="/"`}, excludes: []string{"no administrator yet"}},
		{name: "unknown page signed out", method: "POST", path: "/admin/nope", want: 401},
		{name: "wrong method", method: "DELETE", path: "/admin/setup", want: 405},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.run(t, srv) })
	}
	u, err := s.UserByUsername(t.Context(), "root")
	if err != nil || u.Role != RoleAdmin {
		t.Errorf("admin after setup: got %+v, %v, want role admin", u, err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token file after setup: got %v, want it removed", err)
	}
}

func TestStaticAsset(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	srv := newTestServer(t, s, "")
	page := httpStep{name: "login", method: "GET", path: "/admin/login", want: 200,
		contains: []string{"no administrator yet"}}.run(t, srv)
	m := regexp.MustCompile(`href="(/admin/static/admin\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("login page links no versioned stylesheet")
	}
	tests := []struct {
		name      string
		path      string
		wantCache string
	}{
		{"current version", m[1], "immutable"},
		{"no version", "/admin/static/admin.css", "no-cache"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
				!strings.Contains(resp.Header.Get("Cache-Control"), tc.wantCache) {
				t.Errorf("got %d %q %q, want 200 text/css with %s", resp.StatusCode,
					resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), tc.wantCache)
			}
		})
	}
	httpStep{name: "missing asset", method: "GET", path: "/admin/static/nope.js", want: 404}.run(t, srv)
}

// TestServerErrorIsGeneric checks that a 5xx page carries a request ID and no
// internal detail.
func TestServerErrorIsGeneric(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	srv := newTestServer(t, s, "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	httpStep{name: "login with closed store", method: "GET", path: "/admin/login", want: 500,
		contains: []string{"request ID"}, excludes: []string{"sql", "closed", "database"}}.run(t, srv)
}
