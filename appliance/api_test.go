package appliance_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"conclave/appliance"
	"conclave/internal/testenv"
)

// TestAPITURNCredentialsWithToken: a token made with the CLI opens the JSON
// API, whose TURN credentials carry every transport of this appliance.
func TestAPITURNCredentialsWithToken(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	token := createToken(t, a.Config.DataDir, "turn-minter")

	do := func(method, path, bearer string) *http.Response {
		req, _ := http.NewRequest(method, a.URL+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := do(http.MethodPost, "/api/v1/turn/credentials", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: got %d, want 401", resp.StatusCode)
	}
	resp := do(http.MethodPost, "/api/v1/turn/credentials", token)
	var creds struct {
		Username, Password string
		TTL                int
		URIs               []string
	}
	if err := json.NewDecoder(resp.Body).Decode(&creds); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, %v", resp.StatusCode, err)
	}
	joined := strings.Join(creds.URIs, " ")
	if creds.Username == "" || creds.Password == "" || creds.TTL <= 0 ||
		!strings.Contains(joined, "?transport=udp") || !strings.Contains(joined, "?transport=tcp") || !strings.Contains(joined, "turns:") {
		t.Fatalf("got %+v, want credentials and turn:udp, turn:tcp and turns: URIs", creds)
	}
	if resp := do(http.MethodGet, "/api/v1/users", token); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/users: got %d, want 200", resp.StatusCode)
	}
}

// TestTURNURIsNameThePublicIP: behind 1:1 NAT (--public-ip, no domain)
// the banner and the TURN URIs must give the public address, not the LAN one.
func TestTURNURIsNameThePublicIP(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{Configure: func(c *appliance.Config) { c.PublicIP = "203.0.113.7" }})
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/turn/credentials", nil)
	req.Header.Set("Authorization", "Bearer "+createToken(t, a.Config.DataDir, "nat"))
	resp, err := a.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var creds struct{ URIs []string }
	if err := json.NewDecoder(resp.Body).Decode(&creds); err != nil {
		t.Fatal(err)
	}
	for _, u := range creds.URIs {
		if !strings.Contains(u, "203.0.113.7:") {
			t.Errorf("URI %q does not name the public IP", u)
		}
	}
	if len(creds.URIs) != 3 {
		t.Errorf("got %d URIs, want 3", len(creds.URIs))
	}
	if !strings.Contains(a.Stdout.String(), "https://203.0.113.7:") {
		t.Errorf("the banner does not offer the public address:\n%s", a.Stdout.String())
	}
}

// createToken makes an API token with the CLI and returns it (the last
// line of its output).
func createToken(t *testing.T, dataDir, name string) string {
	t.Helper()
	code, out, stderr := runMain(t, "", "admin", "token", "create", "--data", dataDir, "--name", name)
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
