package certs

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadOrCreateCA(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	now := time.Now
	dir := filepath.Join(t.TempDir(), "pki")
	first, err := loadOrCreateCA(dir, now, log)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if first.cert.NotAfter.Sub(first.cert.NotBefore) < 10*365*24*time.Hour {
		t.Errorf("root valid %v, want ten years", first.cert.NotAfter.Sub(first.cert.NotBefore))
	}
	if _, ok := first.key.Public().(*ecdsa.PublicKey); !ok || !first.cert.IsCA {
		t.Errorf("root is not an ECDSA CA certificate")
	}
	again, err := loadOrCreateCA(dir, now, log)
	if err != nil || again.fingerprint() != first.fingerprint() {
		t.Fatalf("reload: %v, fingerprint %s, want %s", err, again.fingerprint(), first.fingerprint())
	}

	otherKey := func(t *testing.T, dir string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		replaceFile(t, filepath.Join(dir, rootKeyName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"certificate alone", func(t *testing.T, dir string) { _ = os.Remove(filepath.Join(dir, rootKeyName)) }},
		{"key alone", func(t *testing.T, dir string) { _ = os.Remove(filepath.Join(dir, rootCertName)) }},
		{"key of another root", otherKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			if _, err := loadOrCreateCA(dir, now, log); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			if _, err := loadOrCreateCA(dir, now, log); !errors.Is(err, ErrRootMismatch) {
				t.Fatalf("err %v, want ErrRootMismatch (never a silent new root)", err)
			}
		})
	}

	t.Run("expired root is replaced and kept aside", func(t *testing.T) {
		later := func() time.Time { return time.Now().Add(11 * 365 * 24 * time.Hour) }
		renewed, err := loadOrCreateCA(dir, later, log)
		if err != nil {
			t.Fatal(err)
		}
		if renewed.fingerprint() == first.fingerprint() {
			t.Error("expired root was kept")
		}
		old, _ := filepath.Glob(filepath.Join(dir, rootCertName+".expired-*"))
		if len(old) != 1 {
			t.Errorf("expired root files %v, want one kept aside", old)
		}
	})
}

func TestIssuerIssuesOnlyManagedNames(t *testing.T) {
	ca, err := loadOrCreateCA(filepath.Join(t.TempDir(), "pki"), time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	iss := newInternalIssuer(ca, []string{"localhost", "box.test", "127.0.0.1"}, 24*time.Hour, time.Now)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tmpl    x509.CertificateRequest
		allowed bool
	}{
		{"managed name", x509.CertificateRequest{DNSNames: []string{"localhost"}}, true},
		{"managed name, other case", x509.CertificateRequest{DNSNames: []string{"BOX.test"}}, true},
		{"managed IP", x509.CertificateRequest{IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}, true},
		{"unmanaged name", x509.CertificateRequest{DNSNames: []string{"evil.example"}}, false},
		{"managed plus unmanaged", x509.CertificateRequest{DNSNames: []string{"localhost", "evil.example"}}, false},
		{"unmanaged IP", x509.CertificateRequest{IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}, false},
		{"URI SAN", x509.CertificateRequest{DNSNames: []string{"localhost"}, URIs: []*url.URL{{Scheme: "spiffe", Host: "x"}}}, false},
		{"no subject", x509.CertificateRequest{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr := makeCSR(t, &tt.tmpl, key)
			issued, err := iss.Issue(context.Background(), csr)
			if !tt.allowed {
				if !errors.Is(err, ErrNameNotAllowed) {
					t.Fatalf("err %v, want ErrNameNotAllowed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			leaf, err := parseCertPEM(issued.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			opts := x509.VerifyOptions{Roots: roots, DNSName: firstSubject(csr)}
			if _, err := leaf.Verify(opts); err != nil {
				t.Errorf("leaf does not verify against the root: %v", err)
			}
			if life := leaf.NotAfter.Sub(leaf.NotBefore); life > 24*time.Hour+5*time.Minute {
				t.Errorf("leaf lifetime %v, want at most the configured 24h plus backdating", life)
			}
		})
	}
}

func makeCSR(t *testing.T, tmpl *x509.CertificateRequest, key crypto.Signer) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}
