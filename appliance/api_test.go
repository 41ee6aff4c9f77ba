package appliance_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"conclave/internal/testenv"
)

// TestAPITURNCredentialsWithToken: a token made with the CLI opens the JSON
// API, whose TURN credentials carry every transport of this appliance.
func TestAPITURNCredentialsWithToken(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	code, out, stderr := runMain(t, "", "admin", "token", "create", "--data", a.Config.DataDir, "--name", "turn-minter")
	if code != 0 {
		t.Fatalf("token create: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]

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
