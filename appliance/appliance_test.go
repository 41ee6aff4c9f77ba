package appliance_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"conclave/internal/testenv"
)

func TestHealthzOverHTTPSVerifiedByBuiltInRoot(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	resp, err := a.Client.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz trusting only the built-in root: %v", err)
	}
	defer resp.Body.Close()
	var h struct {
		Status        string  `json:"status"`
		Version       string  `json:"version"`
		UptimeSeconds float64 `json:"uptime_seconds"`
		DB            string  `json:"db"`
		TLSMode       string  `json:"tls_mode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || h.Status != "ok" || h.DB != "ok" || h.Version == "" || h.TLSMode != "internal" {
		t.Fatalf("got %d %+v, want 200 ok with db ok, a version and tls_mode internal", resp.StatusCode, h)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("got %s, want HTTP/2 over TLS", resp.Proto)
	}
	state := resp.TLS
	if state == nil || len(state.VerifiedChains) == 0 {
		t.Fatal("response has no verified chain")
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	for _, path := range []string{"/", "/admin/", "/healthz"} {
		resp, err := a.Client.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		checks := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
		for k, v := range checks {
			if h.Get(k) != v {
				t.Errorf("%s: got %s %q, want %q", path, k, h.Get(k), v)
			}
		}
		if !strings.Contains(h.Get("Permissions-Policy"), "camera=(self)") {
			t.Errorf("%s: Permissions-Policy %q lacks camera=(self)", path, h.Get("Permissions-Policy"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent with a built-in CA certificate", path)
		}
	}
}

func TestCACertOnBothPortsMatchesDataDirAndBanner(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	onDisk, err := os.ReadFile(filepath.Join(a.Config.DataDir, "pki", "root.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{a.URL + "/ca.crt", a.HTTPURL + "/ca.crt"} {
		resp, err := a.Client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != string(onDisk) {
			t.Fatalf("%s: got %d and %d bytes, want 200 and the %d bytes of pki/root.crt", url, resp.StatusCode, len(body), len(onDisk))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-x509-ca-cert" {
			t.Errorf("%s: got Content-Type %q", url, ct)
		}
	}
	block, _ := pem.Decode(onDisk)
	if block == nil {
		t.Fatal("root.crt is not PEM")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(block.Bytes)
	hexSum := strings.ToUpper(hex.EncodeToString(sum[:]))
	var pairs []string
	for i := 0; i < len(hexSum); i += 2 {
		pairs = append(pairs, hexSum[i:i+2])
	}
	fp := strings.Join(pairs, ":")
	if !strings.Contains(a.Stdout.String(), fp) {
		t.Fatalf("banner does not show the root's SHA-256 fingerprint %s:\n%s", fp, a.Stdout.String())
	}
}

func TestHTTPPortRedirectsToHTTPS(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(a.HTTPURL + "/r/demo?name=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := a.URL + "/r/demo?name=x"
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("got %d Location %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	body := metrics(t, a)
	for _, want := range []string{"go_goroutines", "process_resident_memory_bytes", "conclave_build_info"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// And not on the public port.
	resp, err := a.Client.Get(a.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("got /metrics on the public HTTPS port, want it only on --metrics")
	}
}
