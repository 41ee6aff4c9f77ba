package admin

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// safeGETRoutes are the GET routes known to change nothing. A new GET route
// must be added here on purpose, after checking that it does not mutate (W1).
var safeGETRoutes = []string{"/", "/login", "/setup", "/static/{name}", "/users", "/users/{username}",
	"/rooms", "/rooms/new", "/rooms/{slug}", "/settings", "/audit", "/tokens", "/events", "/invite/{token}", "/meetings"}

// TestRouteAudit is W1's route-table audit: every GET route of both routers
// is on the read-only list, and logout is not a GET.
func TestRouteAudit(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	a, err := New(Config{TURNCredentials: func(string) (string, string, time.Duration, []string) {
		return "", "", 0, nil
	}}, s)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{"admin": a.Handler(), "api": a.APIHandler()} {
		var routes []string
		walk := func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			routes = append(routes, method+" "+route)
			if (method == http.MethodGet || method == http.MethodHead) && !slices.Contains(safeGETRoutes, route) {
				t.Errorf("%s: GET %s is not on the read-only list", name, route)
			}
			return nil
		}
		if err := chi.Walk(h.(chi.Routes), walk); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s routes: %v", name, routes)
		if len(routes) == 0 {
			t.Errorf("%s: no routes walked", name)
		}
	}
}

// TestCrossOriginProtection is W1 for the admin forms, with the wrapper the
// appliance puts around the handler: cross-site and same-site posts are
// refused before a handler runs, same-origin ones reach it.
func TestCrossOriginProtection(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	a, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, s)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/admin", a.Handler())
	cop := http.NewCrossOriginProtection()
	// Mark refusals, so that a handler's own 403 (a bad setup token) is not
	// mistaken for one.
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test-Denied", "1")
		w.WriteHeader(http.StatusForbidden)
	}))
	srv := httptest.NewTLSServer(cop.Handler(r))
	t.Cleanup(srv.Close)
	tests := []struct {
		name, header, value string
		denied              bool
	}{
		{"cross-site", "Sec-Fetch-Site", "cross-site", true},
		{"same-site", "Sec-Fetch-Site", "same-site", true},
		{"foreign origin", "Origin", "https://evil.test", true},
		{"same-origin", "Sec-Fetch-Site", "same-origin", false},
	}
	for _, path := range []string{"/admin/login", "/admin/logout", "/admin/setup"} {
		for _, tc := range tests {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				form := url.Values{"username": {"a"}, "password": {"b"}}
				req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+path, strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set(tc.header, tc.value)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				denied := resp.Header.Get("X-Test-Denied") != ""
				if denied != tc.denied || denied && resp.StatusCode != 403 {
					t.Errorf("got %d (denied %v), want denied %v", resp.StatusCode, denied, tc.denied)
				}
			})
		}
	}
}
