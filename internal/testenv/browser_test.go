package testenv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"image/png"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// strictCSP is the policy of the test page: no inline script may run.
const strictCSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"

// testPage has one deliberate violation: the inline script. Its external
// script is allowed and proves that the page otherwise works.
const testPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>harness ok</title>
<script src="/ok.js"></script>
</head><body><h1>Harness</h1><p id="ok">waiting</p>
<script>document.title = "inline ran";</script>
</body></html>`

// newCSPServer serves testPage with strictCSP over TLS on 127.0.0.1.
func newCSPServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(testPage))
	})
	mux.HandleFunc("GET /ok.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`document.addEventListener("DOMContentLoaded", () => { document.getElementById("ok").textContent = "external ran"; });`))
	})
	srv := httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowserCSPAndScreenshot(t *testing.T) {
	srv := newCSPServer(t)
	b := NewBrowser(t, BrowserOptions{TrustSPKIs: []string{SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/")

	if got, want := Eval[string](p, "document.title"), "harness ok"; got != want {
		t.Errorf("title: got %q, want %q (the inline script must not run)", got, want)
	}
	if got, want := Eval[string](p, `document.getElementById("ok").textContent`), "external ran"; got != want {
		t.Errorf("external script: got %q, want %q", got, want)
	}
	v := p.CSPViolations()
	if len(v) != 1 || !strings.Contains(v[0], "script-src") || !strings.Contains(v[0], "inline") {
		t.Errorf("csp violations: got %q, want exactly one inline script-src violation", v)
	}
	if errs := p.ConsoleErrors(); len(errs) == 0 || !strings.Contains(errs[0], "Content Security Policy") {
		t.Errorf("console errors: got %q, want the CSP message first", errs)
	}

	path := filepath.Join(t.TempDir(), "harness.png")
	p.Screenshot(path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Dx(); got != 1280 {
		t.Errorf("screenshot width: got %d, want 1280", got)
	}
	if len(data) < 2000 {
		t.Errorf("screenshot: got %d bytes, want a real image (>= 2000)", len(data))
	}
}

func TestMergeReports(t *testing.T) {
	ev := func(text, where string) report { return report{text: text, where: where} }
	tests := []struct {
		name           string
		events, logged []report
		want           []string
	}{
		{"none", nil, nil, []string{}},
		{"event and its log line count once",
			[]report{ev("e1", "u:5")}, []report{ev("l1", "u:5")}, []string{"e1"}},
		{"log line without event is kept",
			nil, []report{ev("l1", "u:5")}, []string{"l1"}},
		{"two violations on one line, one event missing",
			[]report{ev("e1", "u:5")}, []report{ev("l1", "u:5"), ev("l2", "u:5")}, []string{"e1", "l2"}},
		{"different lines do not cancel",
			[]report{ev("e1", "u:5")}, []report{ev("l1", "u:6")}, []string{"e1", "l1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeReports(tt.events, tt.logged); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// recordTB catches Skip and Fatal so that findChromium's refusal can be
// checked without ending the test.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()           {}
func (r *recordTB) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }
func (r *recordTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestFindChromiumMissing(t *testing.T) {
	tests := []struct {
		name, require        string
		wantSkip, wantFailed bool
	}{
		{"skips by default", "", true, false},
		{"fails when required", "1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(chromiumEnv, filepath.Join(t.TempDir(), "no-chromium"))
			t.Setenv(requireBrowserEnv, tt.require)
			r := &recordTB{TB: t}
			if got := findChromium(r); got != "" {
				t.Fatalf("got path %q, want none", got)
			}
			if (r.skipped != "") != tt.wantSkip || (r.failed != "") != tt.wantFailed {
				t.Errorf("got skip %q fail %q, want skip %v fail %v", r.skipped, r.failed, tt.wantSkip, tt.wantFailed)
			}
			if msg := r.skipped + r.failed; !strings.Contains(msg, "apt-get install chromium") {
				t.Errorf("message %q does not say how to install chromium", msg)
			}
		})
	}
}

func TestLeafSPKI(t *testing.T) {
	srv := newCSPServer(t)
	addr := srv.Listener.Addr().String()
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	wrongRoot := selfSignedPEM(t)
	tests := []struct {
		name       string
		serverName string
		root       []byte
		wantErr    string
	}{
		{"unverified", "", nil, ""},
		{"verified by IP", "", root, ""},
		{"verified by name", "example.com", root, ""},
		{"wrong root", "", wrongRoot, "does not chain to the root"},
		{"wrong name", "meet.example.org", root, "does not chain to the root"},
		{"not PEM", "", []byte("nothing"), "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recordTB{TB: t}
			got := LeafSPKI(r, addr, tt.serverName, tt.root)
			if !strings.Contains(r.failed, tt.wantErr) || (tt.wantErr == "") != (r.failed == "") {
				t.Fatalf("failure: got %q, want one with %q", r.failed, tt.wantErr)
			}
			if want := SPKIHash(srv.Certificate()); tt.wantErr == "" && got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// selfSignedPEM returns a new self-signed CA certificate that signed nothing.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
