package certs

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"go.uber.org/zap"
)

// Manager serves certificates for every TLS mode through one *tls.Config.
// Build it with New and stop it with Close. Its methods are safe for
// concurrent use.
type Manager struct {
	cfg  Config
	mode Mode
	log  *slog.Logger
	zlog *zap.Logger
	met  *metrics

	ca            *localCA        // nil in files and off
	issuer        *internalIssuer // nil in files and off
	internal      *magic          // built-in CA leaves; nil in files and off
	internalNames []string
	defaultName   string
	acme          *magic // nil unless acme
	acmeIssuer    *certmagic.ACMEIssuer
	acmeNames     []string
	files         *fileSource // nil unless files
	tlsConfig     *tls.Config // nil when off

	// ctx bounds background work (ACME retries, file polling); Close cancels it.
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	// mu guards the fields below.
	mu          sync.Mutex
	lastErr     string
	lastErrName string
	lastErrTime time.Time
	trust       trustCache
}

// New validates cfg and starts the mode it resolves to. It never waits for
// an ACME CA: in acme mode the built-in CA's leaves are served until ACME
// succeeds in the background. ctx bounds only the work done inside New
// (loading the CA, issuing or loading leaves); background work lasts until
// Close.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("tls config: %w", err)
	}
	cfg = cfg.withDefaults()
	m := &Manager{cfg: cfg, mode: cfg.effectiveMode(), log: cfg.Logger}
	m.zlog = newZapLogger(cfg.Logger)
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	met, err := newMetrics(cfg.Registerer, m.certificates)
	if err != nil {
		m.cancel()
		return nil, err
	}
	m.met = met
	if err := m.start(ctx); err != nil {
		_ = m.Close()
		return nil, err
	}
	st := m.Status()
	m.log.Info("tls ready", "mode", st.Mode, "names", st.Names, "acme_names", m.acmeNames,
		"root_fingerprint", st.RootFingerprint)
	return m, nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.leafLifetime <= 0 {
		c.leafLifetime = defaultLeafLifetime
	}
	if c.filesPollInterval <= 0 {
		c.filesPollInterval = defaultFilesPollInterval
	}
	return c
}

// start sets up the mode in force.
func (m *Manager) start(ctx context.Context) error {
	switch m.mode {
	case ModeOff:
		return nil
	case ModeFiles:
		if err := m.startFiles(); err != nil {
			return err
		}
	default:
		// The built-in CA's leaves get their own storage root inside certs:
		// certmagic's issue locks are keyed by name only, and an ACME obtain
		// holds its lock through all of its retries (up to 30 days), which
		// would stall the renewal of the fallback leaf for the same name.
		acmeDir := filepath.Join(m.cfg.DataDir, "certs")
		internalDir := filepath.Join(acmeDir, "internal")
		for _, d := range []string{acmeDir, internalDir} {
			if err := ensurePrivateDir(d); err != nil {
				return err
			}
		}
		if err := m.startInternal(ctx, &certmagic.FileStorage{Path: internalDir}); err != nil {
			return err
		}
		if m.mode == ModeACME {
			if err := m.startACME(&certmagic.FileStorage{Path: acmeDir}); err != nil {
				return err
			}
		}
	}
	m.tlsConfig = m.newTLSConfig()
	return nil
}

// newTLSConfig is the one TLS configuration for HTTPS and TURN over TLS.
func (m *Manager) newTLSConfig() *tls.Config {
	protos := []string{"h2", "http/1.1"}
	if m.acme != nil {
		// Go refuses a client whose ALPN list shares nothing with ours, so
		// the TLS-ALPN-01 validator needs acme-tls/1 here (RFC 8737).
		protos = append(protos, acmez.ACMETLS1Protocol)
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     protos,
		GetCertificate: m.getCertificate,
	}
}

// getCertificate picks the source for one handshake: the files pair; an
// ACME challenge or an ACME certificate we already hold; else the built-in
// CA's leaf for the name (or the default leaf). Unknown names never reach a
// path that could start an order.
func (m *Manager) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	switch {
	case m.files != nil:
		return m.files.current(), nil
	case m.acme != nil && isACMEChallenge(hello):
		if !m.isACMEName(hello.ServerName) {
			// Refused here, quietly: certmagic would log a warning for
			// every such handshake, which anyone could trigger.
			return nil, fmt.Errorf("%w: no ACME challenge for %q", ErrNoCertificate, hello.ServerName)
		}
		return m.acme.cfg.GetCertificate(hello)
	case m.acme != nil && m.holdsACMECert(hello.ServerName):
		return m.acme.cfg.GetCertificate(hello)
	case m.internal != nil:
		return m.internal.cfg.GetCertificate(hello)
	}
	return nil, ErrNoCertificate
}

// isACMEChallenge recognises a TLS-ALPN-01 validation handshake (RFC 8737
// section 3: exactly one ALPN protocol, acme-tls/1).
func isACMEChallenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acmez.ACMETLS1Protocol
}

// isACMEName reports whether the SNI name is one we manage with ACME.
func (m *Manager) isACMEName(serverName string) bool {
	name, ok := normalizeName(serverName)
	return ok && slices.Contains(m.acmeNames, name)
}

// holdsACMECert reports whether an unexpired ACME certificate for the SNI
// name is in the cache. Until then the built-in CA's leaf is served.
func (m *Manager) holdsACMECert(serverName string) bool {
	name, ok := normalizeName(serverName)
	if !ok {
		return false
	}
	_, ok = m.acmeCert(name) // checks membership in acmeNames too
	return ok
}

// TLSConfig returns a copy of the TLS configuration, nil in mode off. Every
// copy shares the same GetCertificate, so renewals and reloads reach every
// listener. MinVersion is TLS 1.2; NextProtos are h2 and http/1.1 (plus
// acme-tls/1 with ACME).
func (m *Manager) TLSConfig() *tls.Config {
	if m.tlsConfig == nil {
		return nil
	}
	return m.tlsConfig.Clone()
}

// HTTPChallengeHandler answers ACME HTTP-01 challenges on the HTTP port and
// passes every other request to next. Outside acme mode it returns next.
func (m *Manager) HTTPChallengeHandler(next http.Handler) http.Handler {
	if m.acmeIssuer == nil {
		return next
	}
	return m.acmeIssuer.HTTPChallengeHandler(next)
}

// RootPEM returns the built-in CA's root certificate in PEM, or nil when
// there is no built-in CA (files, off).
func (m *Manager) RootPEM() []byte {
	if m.ca == nil {
		return nil
	}
	return slices.Clone(m.ca.pem)
}

// RootFingerprint returns the SHA-256 of the built-in CA's root (DER),
// uppercase hex with colons, or "" when there is no built-in CA.
func (m *Manager) RootFingerprint() string {
	if m.ca == nil {
		return ""
	}
	return m.ca.fingerprint()
}

// Close cancels ACME work and file polling, waits for our goroutines and
// stops the certmagic caches. It is idempotent and always returns nil; the
// error is there for the lifecycle contract.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.cancel()
		m.wg.Wait()
		for _, mg := range []*magic{m.acme, m.internal} {
			if mg != nil {
				mg.cache.Stop()
			}
		}
		m.met.unregister()
		m.log.Debug("tls manager closed")
	})
	return nil
}
