package certs

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
)

// internalIssuer is the built-in CA as a certmagic Issuer, so certmagic
// stores, serves and renews its leaves exactly like ACME ones.
type internalIssuer struct {
	ca       *localCA
	lifetime time.Duration
	now      func() time.Time
	allowed  map[string]bool // normalized subjects we manage; read-only after construction
	issued   atomic.Int64    // leaves signed; tests use it to prove reuse
}

// Compile-time guard.
var _ certmagic.Issuer = (*internalIssuer)(nil)

func newInternalIssuer(ca *localCA, names []string, lifetime time.Duration, now func() time.Time) *internalIssuer {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	return &internalIssuer{ca: ca, lifetime: lifetime, now: now, allowed: allowed}
}

// IssuerKey keys certmagic storage by root fingerprint: leaves signed by an
// earlier root (deleted pki dir) are then never served after a restart.
func (iss *internalIssuer) IssuerKey() string {
	sum := sha256.Sum256(iss.ca.cert.Raw)
	return "conclave-internal-" + hex.EncodeToString(sum[:8])
}

// Issue signs a leaf for csr. It refuses any name it was not configured
// for, so even a misconfigured on-demand path could not mint certificates
// for arbitrary SNI values.
func (iss *internalIssuer) Issue(_ context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("built-in CA: check CSR signature: %w", err)
	}
	if err := iss.checkNames(csr); err != nil {
		return nil, err
	}
	tmpl, err := iss.leafTemplate(csr)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.ca.cert, csr.PublicKey, iss.ca.key)
	if err != nil {
		return nil, fmt.Errorf("built-in CA: sign leaf: %w", err)
	}
	iss.issued.Add(1)
	return &certmagic.IssuedCertificate{
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// leafTemplate describes a TLS server leaf for csr, valid for the
// configured lifetime and never beyond the root.
func (iss *internalIssuer) leafTemplate(csr *x509.CertificateRequest) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := iss.now()
	// Backdate a little for clients with a slow clock, but never by more
	// than 1% of the lifetime, so that short test lifetimes stay short.
	backdate := min(5*time.Minute, iss.lifetime/100)
	notAfter := now.Add(iss.lifetime)
	if notAfter.After(iss.ca.cert.NotAfter) {
		notAfter = iss.ca.cert.NotAfter // a leaf cannot outlive its root
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment // RSA key exchange in TLS 1.2
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      csr.Subject,
		DNSNames:     csr.DNSNames,
		IPAddresses:  csr.IPAddresses,
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     usage,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.Subject.CommonName == "" {
		tmpl.Subject.CommonName = firstSubject(csr)
	}
	return tmpl, nil
}

// checkNames returns ErrNameNotAllowed unless every SAN is managed.
func (iss *internalIssuer) checkNames(csr *x509.CertificateRequest) error {
	names := append([]string(nil), csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 || len(csr.URIs) > 0 || len(csr.EmailAddresses) > 0 {
		return fmt.Errorf("%w: CSR with no DNS or IP subject, or with other SAN types", ErrNameNotAllowed)
	}
	for _, n := range names {
		norm, ok := normalizeName(n)
		if !ok || !iss.allowed[norm] {
			return fmt.Errorf("%w: %q", ErrNameNotAllowed, n)
		}
	}
	return nil
}

func firstSubject(csr *x509.CertificateRequest) string {
	if len(csr.DNSNames) > 0 {
		return csr.DNSNames[0]
	}
	return net.IP(csr.IPAddresses[0]).String()
}
