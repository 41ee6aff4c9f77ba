package appliance_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"conclave/internal/testenv"
)

// TestFirstRunSetupOverHTTPS walks the setup link the way a browser does,
// through the real router with its cross-origin protection.
func TestFirstRunSetupOverHTTPS(t *testing.T) {
	dir := t.TempDir()
	a := testenv.StartAppliance(t, testenv.Options{DataDir: dir})
	token := a.SetupToken()
	if token == "" || strings.Count(a.Stdout.String(), token) != 1 {
		t.Fatalf("want the setup token printed exactly once; banner:\n%s", a.Stdout.String())
	}
	if strings.Contains(a.Logs.String(), token) {
		t.Fatal("the setup token is in the log")
	}
	if !strings.HasPrefix(a.SetupURL(), "https://localhost:") {
		t.Errorf("setup URL %q, want https://localhost:PORT/... for a loopback listener", a.SetupURL())
	}

	get := func(u string) int {
		resp, err := a.Client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(a.URL + "/admin/setup"); got != http.StatusForbidden {
		t.Fatalf("setup without token: got %d, want 403", got)
	}
	if got := get(a.URL + "/admin/setup?token=" + url.QueryEscape(token)); got != http.StatusOK {
		t.Fatalf("setup with token: got %d, want 200", got)
	}
	form := url.Values{"token": {token}, "username": {"admin"}, "password": {"correct horse battery"},
		"confirm": {"correct horse battery"}}
	post := func(site string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/admin/setup", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Origin", a.URL)
		resp, err := a.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if got, _ := post("cross-site"); got != http.StatusForbidden {
		t.Fatalf("cross-site setup POST: got %d, want 403", got)
	}
	if got, body := post("same-origin"); got != http.StatusOK {
		t.Fatalf("setup POST: got %d, want 200:\n%s", got, body)
	}
	if got, _ := post("same-origin"); got != http.StatusNotFound {
		t.Fatalf("second setup POST: got %d, want 404", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "setup-token")); err == nil {
		t.Error("setup-token file still exists after setup")
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	again := testenv.StartAppliance(t, testenv.Options{DataDir: dir})
	if again.SetupToken() != "" || strings.Contains(again.Stdout.String(), "setup?token=") {
		t.Fatalf("restart with an admin still offers setup:\n%s", again.Stdout.String())
	}
}
