package admin

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// loginEnv is an admin handler behind a loopback TLS server, with a fake clock.
type loginEnv struct {
	t     *testing.T
	admin *Admin
	store *Store
	clock *fakeClock
	srv   *httptest.Server
}

func newLoginEnv(t *testing.T) *loginEnv {
	t.Helper()
	return newLoginEnvConfig(t, Config{})
}

// newLoginEnvConfig is newLoginEnv with cfg (its Logger is replaced). The
// server mounts the admin at /admin and the API at /api/v1, behind
// http.CrossOriginProtection as the appliance does.
func newLoginEnvConfig(t *testing.T, cfg Config) *loginEnv {
	t.Helper()
	clock := newFakeClock()
	s, _ := openTestStore(t, storeOptions{now: clock.Now})
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(cfg, s)
	if err != nil {
		t.Fatalf("new admin: %v", err)
	}
	t.Cleanup(a.Close)
	r := chi.NewRouter()
	r.Mount("/admin", a.Handler())
	r.Mount("/api/v1", a.APIHandler())
	srv := httptest.NewTLSServer(http.NewCrossOriginProtection().Handler(r))
	t.Cleanup(srv.Close)
	return &loginEnv{t: t, admin: a, store: s, clock: clock, srv: srv}
}

// addUser creates an account and returns its password, "NAME password".
func (e *loginEnv) addUser(name, role string) string {
	e.t.Helper()
	pw := name + " password"
	if _, err := e.store.CreateUser(e.t.Context(), NewUser{Username: name, Password: pw, Role: role, Actor: ActorCLI}); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	return pw
}

// browser returns a client with its own cookie jar that does not follow redirects.
func (e *loginEnv) browser() *http.Client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client() // a copy: srv.Client returns one shared client
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   string
}

func (e *loginEnv) do(c *http.Client, method, path string, form url.Values) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *loginEnv) login(c *http.Client, user, pw string) response {
	e.t.Helper()
	return e.do(c, "POST", "/admin/login", url.Values{"username": {user}, "password": {pw}})
}

// sessionID returns the session cookie the jar would send to the server.
func (e *loginEnv) sessionID(c *http.Client) string {
	e.t.Helper()
	u, err := url.Parse(e.srv.URL + "/admin/")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// withCookie returns a fresh client that sends one given session cookie.
func (e *loginEnv) withCookie(id string) *http.Client {
	c := e.browser()
	u, _ := url.Parse(e.srv.URL + "/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: id, Path: "/", Secure: true}})
	return c
}
