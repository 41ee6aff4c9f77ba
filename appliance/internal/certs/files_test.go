package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// selfSigned returns a PEM certificate and key for localhost with serial.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// replaceFile swaps in new content by rename, as certbot and cert-manager do.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFilesReloadKeepsOldPairOnBadReplacement(t *testing.T) {
	checkGoroutines(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c1, k1 := selfSigned(t, 1)
	replaceFile(t, certFile, c1)
	replaceFile(t, keyFile, k1)

	reg := prometheus.NewRegistry()
	m := newManager(t, Config{
		Mode: ModeFiles, CertFile: certFile, KeyFile: keyFile, Registerer: reg,
		Logger: testLogger(t, "manager"), filesPollInterval: 20 * time.Millisecond,
	})
	addr := serveHTTPS(t, m, nil)
	serial := func() int64 { return mustHandshake(t, addr, "localhost", nil).SerialNumber.Int64() }
	if got := serial(); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	if m.RootPEM() != nil {
		t.Error("RootPEM() is not nil in files mode")
	}

	c2, k2 := selfSigned(t, 2)
	replaceFile(t, keyFile, k2) // key first: a mismatched pair in between must not be served
	replaceFile(t, certFile, c2)
	took := waitFor(t, 5*time.Second, "the replaced pair", func() bool { return serial() == 2 })
	t.Logf("new pair served %v after replacement", took)

	failures := func() float64 {
		s := series(t, reg, "conclave_tls_files_reload_failures_total")
		if len(s) != 1 {
			t.Fatalf("reload failures series %v, want one", s)
		}
		return s[0].GetCounter().GetValue()
	}
	bad := []struct {
		name string
		cert []byte
	}{
		{"corrupt PEM", []byte("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")},
		{"certificate not matching the key", func() []byte { c, _ := selfSigned(t, 3); return c }()},
	}
	for _, b := range bad {
		before := failures() // the key-first swap above may already have counted one
		replaceFile(t, certFile, b.cert)
		waitFor(t, 5*time.Second, "rejection of "+b.name, func() bool { return failures() > before })
		if got := serial(); got != 2 {
			t.Errorf("%s: serial %d, want 2 (the previous pair)", b.name, got)
		}
		if m.Status().LastError == "" {
			t.Errorf("%s: Status().LastError is empty", b.name)
		}
	}
	st := m.Status()
	if st.Mode != ModeFiles || len(st.Names) != 1 || st.Names[0] != "localhost" || st.NotAfter.IsZero() {
		t.Errorf("status %+v: want files, [localhost], a not-after", st)
	}
}
