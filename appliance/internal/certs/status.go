package certs

import (
	"crypto/x509"
	"slices"
	"time"

	"github.com/caddyserver/certmagic"
)

// Status is a snapshot of the TLS state for logs, /healthz and the admin UI.
type Status struct {
	Mode  Mode     // the mode in force (auto resolved)
	Names []string // every name a certificate is served for
	// Issuer and NotAfter describe the certificate served for the primary
	// name: the first ACME domain, else the default name.
	Issuer   string
	NotAfter time.Time
	// PubliclyTrusted is PubliclyTrusted() at the time of the snapshot.
	PubliclyTrusted bool
	// RootFingerprint is RootFingerprint(): "" without a built-in CA.
	RootFingerprint string
	// LastError is the latest failure to obtain an ACME certificate or to
	// reload the files, "" once that name succeeds again.
	LastError     string
	LastErrorTime time.Time
	// Certificates lists what is served for each name.
	Certificates []CertificateStatus
}

// CertificateStatus describes the certificate served for one name.
type CertificateStatus struct {
	Name     string
	Source   string // "acme", "internal" or "files"
	Issuer   string // issuer common name
	NotAfter time.Time
}

// Status returns a snapshot. It is cheap enough for a health endpoint.
func (m *Manager) Status() Status {
	st := Status{
		Mode:            m.mode,
		RootFingerprint: m.RootFingerprint(),
		PubliclyTrusted: m.PubliclyTrusted(),
		Certificates:    m.certificates(),
	}
	primary := m.defaultName
	if len(m.acmeNames) > 0 {
		primary = m.acmeNames[0]
	}
	for i, c := range st.Certificates {
		st.Names = append(st.Names, c.Name)
		if c.Name == primary || (i == 0 && m.files != nil) {
			st.Issuer, st.NotAfter = c.Issuer, c.NotAfter
		}
	}
	m.mu.Lock()
	st.LastError, st.LastErrorTime = m.lastErr, m.lastErrTime
	m.mu.Unlock()
	return st
}

// certificates lists the certificate served for every name.
func (m *Manager) certificates() []CertificateStatus {
	if m.files != nil {
		return filesStatus(m.files.current().Leaf)
	}
	out := make([]CertificateStatus, 0, len(m.internalNames))
	for _, name := range m.internalNames {
		cs := CertificateStatus{Name: name}
		if c, ok := m.acmeCert(name); ok {
			cs.Source, cs.Issuer, cs.NotAfter = sourceACME, c.Leaf.Issuer.CommonName, c.Leaf.NotAfter
		} else if c, ok := firstCert(m.internal, name); ok {
			cs.Source, cs.Issuer, cs.NotAfter = sourceInternal, c.Leaf.Issuer.CommonName, c.Leaf.NotAfter
		}
		out = append(out, cs)
	}
	return out
}

// filesStatus lists the names of the operator's certificate.
func filesStatus(leaf *x509.Certificate) []CertificateStatus {
	if leaf == nil {
		return nil
	}
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{leaf.Subject.CommonName}
	}
	out := make([]CertificateStatus, 0, len(names))
	for _, n := range names {
		out = append(out, CertificateStatus{Name: n, Source: sourceFiles, Issuer: leaf.Issuer.CommonName, NotAfter: leaf.NotAfter})
	}
	return out
}

// acmeCert returns the unexpired ACME certificate held for a managed ACME
// name. An expired one (renewal failing for a long time) is not served: the
// built-in CA's valid leaf is the better fallback.
func (m *Manager) acmeCert(name string) (certmagic.Certificate, bool) {
	if m.acme == nil || !slices.Contains(m.acmeNames, name) {
		return certmagic.Certificate{}, false
	}
	now := time.Now()
	for _, c := range m.acme.cache.AllMatchingCertificates(name) {
		if c.Leaf != nil && now.Before(c.Leaf.NotAfter) {
			return c, true
		}
	}
	return certmagic.Certificate{}, false
}

// firstCert returns a cached certificate for name from mg.
func firstCert(mg *magic, name string) (certmagic.Certificate, bool) {
	if mg == nil {
		return certmagic.Certificate{}, false
	}
	for _, c := range mg.cache.AllMatchingCertificates(name) {
		if c.Leaf != nil {
			return c, true
		}
	}
	return certmagic.Certificate{}, false
}

// trustCache remembers the verdict of PubliclyTrusted for one set of ACME
// certificates until the earliest of them expires.
type trustCache struct {
	key     string
	trusted bool
	until   time.Time
}

// PubliclyTrusted reports whether every ACME domain is being served with an
// ACME certificate that chains to the system roots, i.e. whether HSTS is
// safe to send for those domains. It is false in every other mode, while the
// built-in CA's leaf stands in, and for a private --acme-ca whose root is not
// a system root. Verification runs once per certificate set, so this is
// cheap enough to call per request.
func (m *Manager) PubliclyTrusted() bool {
	if m.acme == nil || len(m.acmeNames) == 0 {
		return false
	}
	certs := make([]certmagic.Certificate, 0, len(m.acmeNames))
	key := ""
	for _, n := range m.acmeNames {
		c, ok := m.acmeCert(n)
		if !ok {
			return false
		}
		certs = append(certs, c)
		key += c.Hash() + ","
	}
	now := time.Now()
	m.mu.Lock()
	cached := m.trust
	m.mu.Unlock()
	if cached.key == key && now.Before(cached.until) {
		return cached.trusted
	}
	trusted, until := m.verifyPublic(certs, now)
	m.mu.Lock()
	m.trust = trustCache{key: key, trusted: trusted, until: until}
	m.mu.Unlock()
	return trusted
}

// verifyPublic verifies each certificate for its ACME name against the
// system roots; the verdict holds until the earliest expiry.
func (m *Manager) verifyPublic(certs []certmagic.Certificate, now time.Time) (bool, time.Time) {
	roots := m.cfg.systemRoots
	if roots == nil {
		sys, err := x509.SystemCertPool()
		if err != nil {
			return false, now.Add(time.Minute)
		}
		roots = sys
	}
	until := now.Add(24 * time.Hour)
	for i, c := range certs {
		inter := x509.NewCertPool()
		for _, der := range c.Certificate.Certificate[1:] {
			if ic, err := x509.ParseCertificate(der); err == nil {
				inter.AddCert(ic)
			}
		}
		opts := x509.VerifyOptions{DNSName: m.acmeNames[i], Roots: roots, Intermediates: inter, CurrentTime: now}
		if _, err := c.Leaf.Verify(opts); err != nil {
			return false, c.Leaf.NotAfter
		}
		until = minTime(until, c.Leaf.NotAfter)
	}
	return true, until
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
