package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// samplePath fills a route pattern's parameters with values that exist in
// an authzEnv.
func samplePath(route string) string {
	return strings.NewReplacer("{slug}", "mine", "{room}", "mine", "{id}", "1", "{username}", "target",
		"{token}", "x", "{name}", "admin.css").Replace(route)
}

// TestCSRFEveryUnsafeRoute is W1 for every state-changing route of both
// routers, found by walking them: behind the appliance's
// http.CrossOriginProtection, cross-site and same-site requests and foreign
// origins are refused before any handler runs, even with a valid session
// cookie; same-origin requests get through.
func TestCSRFEveryUnsafeRoute(t *testing.T) {
	e := newAuthzEnv(t)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test-Denied", "1")
		w.WriteHeader(http.StatusForbidden)
	}))
	r := chi.NewRouter()
	r.Mount("/admin", e.admin.Handler())
	r.Mount("/api/v1", e.admin.APIHandler())
	srv := httptest.NewTLSServer(cop.Handler(r))
	t.Cleanup(srv.Close)
	cookie := e.sessionID(e.client(asAdmin))
	var unsafe []string
	for prefix, h := range map[string]http.Handler{"/admin": e.admin.Handler(), "/api/v1": e.admin.APIHandler()} {
		err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			if method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions {
				unsafe = append(unsafe, method+" "+prefix+samplePath(route))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(unsafe) < 30 {
		t.Fatalf("walked %d unsafe routes, want all of them (>= 30)", len(unsafe))
	}
	tests := []struct {
		name, header, value string
		denied              bool
	}{
		{"cross-site", "Sec-Fetch-Site", "cross-site", true},
		{"same-site", "Sec-Fetch-Site", "same-site", true},
		{"foreign origin", "Origin", "https://evil.test", true},
		{"same-origin", "Sec-Fetch-Site", "same-origin", false},
	}
	for _, route := range unsafe {
		method, path, _ := strings.Cut(route, " ")
		for _, tc := range tests {
			req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader("a=b"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(tc.header, tc.value)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
			c := srv.Client()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if denied := resp.Header.Get("X-Test-Denied") != ""; denied != tc.denied {
				t.Errorf("%s %s: got %d (denied %v), want denied %v", route, tc.name, resp.StatusCode, denied, tc.denied)
			}
		}
	}
	t.Logf("%d unsafe routes × %d origins checked", len(unsafe), len(tests))
}
