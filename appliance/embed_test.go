package appliance_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"conclave/admin"
	"conclave/internal/testenv"
)

// TestEmbedAllowList: meeting pages may be framed exactly by the sites the
// admin lists in the settings; with none listed, and on every other page
// (the admin panel above all), nothing may frame them.
func TestEmbedAllowList(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	headers := func(path string) http.Header {
		t.Helper()
		resp, err := a.Client.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	const none = "frame-ancestors 'none'"
	for _, path := range []string{"/r/maths-7b", "/admin/login", "/"} {
		if h := headers(path); !strings.Contains(h.Get("Content-Security-Policy"), none) || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s without an allow-list: CSP %q, X-Frame-Options %q", path, h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
	}

	// The admin saves an allow-list (through the store, as the settings page does).
	store, err := admin.OpenStore(t.Context(), filepath.Join(a.Config.DataDir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.EmbedOrigins = []string{"https://lms.school.example", "http://127.0.0.1:4000"}
	if _, err := store.UpdateSettings(t.Context(), admin.ActorCLI, st); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	h := headers("/r/maths-7b")
	want := "frame-ancestors 'self' https://lms.school.example http://127.0.0.1:4000"
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, want) || h.Get("X-Frame-Options") != "" {
		t.Errorf("meeting page with an allow-list: CSP %q, X-Frame-Options %q; want %q and none", csp, h.Get("X-Frame-Options"), want)
	}
	for _, path := range []string{"/admin/login", "/"} {
		if h := headers(path); !strings.Contains(h.Get("Content-Security-Policy"), none) || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s must stay unframeable: CSP %q", path, h.Get("Content-Security-Policy"))
		}
	}
}
