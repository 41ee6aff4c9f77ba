package certs

import (
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestInternalServesLeavesForNamesAndIPs(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := internalConfig(t, t.TempDir())
	cfg.Registerer = reg
	m := newManager(t, cfg)
	addr := serveHTTPS(t, m, nil)
	roots := poolOf(t, m.RootPEM())
	addr6 := ""
	if ln6, err := net.Listen("tcp", "[::1]:0"); err == nil {
		addr6 = serveHTTPS(t, m, ln6)
	}

	tests := []struct {
		name       string
		addr       string
		serverName string // "" = no SNI: the client verifies the IP
	}{
		{"localhost by SNI", addr, "localhost"},
		{"host name by SNI", addr, "box.test"},
		{"IPv4 without SNI", addr, ""},
		{"IPv6 without SNI", addr6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.addr == "" {
				t.Skip("no IPv6 loopback on this host")
			}
			leaf := mustHandshake(t, tt.addr, tt.serverName, roots)
			if got := time.Until(leaf.NotAfter); got > 90*24*time.Hour || got < 89*24*time.Hour {
				t.Errorf("leaf lifetime left %v, want about 90 days", got)
			}
			if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
				t.Errorf("leaf ExtKeyUsage %v lacks serverAuth", leaf.ExtKeyUsage)
			}
		})
	}

	t.Run("TLS 1.1 refused", func(t *testing.T) {
		d := &tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: "localhost", MaxVersion: tls.VersionTLS11}}
		if c, err := d.DialContext(t.Context(), "tcp", addr); err == nil {
			c.Close()
			t.Fatal("TLS 1.1 handshake succeeded, want failure")
		}
	})
	t.Run("ALPN h2", func(t *testing.T) {
		cs, err := handshake(t.Context(), addr, "localhost", roots, []string{"h2", "http/1.1"})
		if err != nil || cs.NegotiatedProtocol != "h2" {
			t.Fatalf("negotiated %q, err %v; want h2", cs.NegotiatedProtocol, err)
		}
	})
	t.Run("unknown SNI gets the default leaf", func(t *testing.T) {
		leaf := mustHandshake(t, addr, "unknown.example", nil)
		if !slices.Contains(leaf.DNSNames, "box.test") {
			t.Errorf("served %v, want the default leaf for box.test", leaf.DNSNames)
		}
	})
	t.Run("status and metrics", func(t *testing.T) {
		st := m.Status()
		if st.Mode != ModeInternal || st.PubliclyTrusted || st.LastError != "" || st.RootFingerprint == "" {
			t.Errorf("status %+v: want internal, not trusted, no error, a fingerprint", st)
		}
		want := []string{"localhost", "127.0.0.1", "::1", "box.test"}
		if !slices.Equal(st.Names, want) {
			t.Errorf("names %v, want %v", st.Names, want)
		}
		if n := len(series(t, reg, "conclave_tls_certificate_expiry_timestamp_seconds")); n != len(want) {
			t.Errorf("expiry series %d, want %d", n, len(want))
		}
	})
}

func TestInternalRestartKeepsRootAndLeaves(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	reg := prometheus.NewRegistry() // the same registry across restarts

	cfg := internalConfig(t, dir)
	cfg.Registerer = reg
	m1, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("first New: %v", err)
	}
	addr1 := serveHTTPS(t, m1, nil)
	fp, rootPEM := m1.RootFingerprint(), m1.RootPEM()
	serial1 := mustHandshake(t, addr1, "localhost", poolOf(t, rootPEM)).SerialNumber
	if m1.issuer.issued.Load() == 0 {
		t.Fatal("first start issued no leaf")
	}
	if err := m1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	m2, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("second New: %v", err)
	}
	addr2 := serveHTTPS(t, m2, nil)
	if got := m2.RootFingerprint(); got != fp {
		t.Errorf("root fingerprint %s after restart, want %s", got, fp)
	}
	serial2 := mustHandshake(t, addr2, "localhost", poolOf(t, rootPEM)).SerialNumber
	if serial2.Cmp(serial1) != 0 {
		t.Errorf("leaf serial %v after restart, want %v (reused)", serial2, serial1)
	}
	if n := m2.issuer.issued.Load(); n != 0 {
		t.Errorf("restart issued %d leaves, want 0", n)
	}
	checkModes(t, dir)
	if err := m2.Close(); err != nil || m2.Close() != nil {
		t.Fatalf("Close twice: %v", err)
	}
}

// checkModes asserts the A7 file modes: private files 0600 in 0700 dirs;
// only the public root certificate is 0644.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	wantFile := map[string]fs.FileMode{
		filepath.Join(dir, "pki", rootKeyName):  0o600,
		filepath.Join(dir, "pki", rootCertName): 0o644,
	}
	for _, sub := range []string{"pki", "certs"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want, ok := wantFile[path]
			switch {
			case d.IsDir():
				want = 0o700
			case strings.Contains(path, string(filepath.Separator)+"locks"+string(filepath.Separator)):
				return nil // certmagic's transient lock files hold no secret
			case !ok:
				want = 0o600
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s: mode %o, want %o", path, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", sub, err)
		}
	}
}

func TestInternalRenewsLeavesWithoutRestart(t *testing.T) {
	cfg := internalConfig(t, t.TempDir())
	cfg.Hosts = nil
	// certmagic renews in the last third of a leaf's life: with 9 s that is
	// from 6 s on, leaving 3 s of slack for a loaded CI machine before the
	// served leaf would expire.
	cfg.leafLifetime = 9 * time.Second
	cfg.renewCheckInterval = 100 * time.Millisecond
	m := newManager(t, cfg)
	addr := serveHTTPS(t, m, nil)
	roots := poolOf(t, m.RootPEM())
	first := mustHandshake(t, addr, "localhost", roots).SerialNumber
	took := waitFor(t, 15*time.Second, "a renewed leaf", func() bool {
		return mustHandshake(t, addr, "localhost", roots).SerialNumber.Cmp(first) != 0
	})
	t.Logf("renewed after %v", took)
}

func TestOffMode(t *testing.T) {
	checkGoroutines(t)
	m := newManager(t, Config{Mode: ModeOff, Logger: testLogger(t, "manager")})
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	rec := httptest.NewRecorder()
	m.HTTPChallengeHandler(next).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/acme-challenge/x", nil))
	switch {
	case m.TLSConfig() != nil:
		t.Error("TLSConfig() is not nil in mode off")
	case m.RootPEM() != nil || m.RootFingerprint() != "":
		t.Error("a built-in CA exists in mode off")
	case m.Status().Mode != ModeOff:
		t.Errorf("status mode %q, want off", m.Status().Mode)
	case rec.Code != http.StatusTeapot:
		t.Errorf("challenge handler answered %d, want the next handler's 418", rec.Code)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	_, err := New(t.Context(), Config{Mode: "bogus"})
	if err == nil || !slices.Contains(flagsOf(err), "--tls") {
		t.Fatalf("New with --tls bogus: err %v, want a --tls problem", err)
	}
	if _, statErr := os.Stat("certs"); statErr == nil {
		t.Error("New wrote files for an invalid config")
	}
}
