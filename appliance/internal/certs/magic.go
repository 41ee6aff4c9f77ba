package certs

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/caddyserver/certmagic"
)

// Certificate sources, used in logs, metrics and Status.
const (
	sourceInternal = "internal"
	sourceACME     = "acme"
	sourceFiles    = "files"
)

// magic is one certmagic cache with the single config that manages its
// certificates. ACME and the built-in CA get one each, so that a cache's
// GetConfigForCert is never ambiguous and each has its own issuers.
type magic struct {
	cache *certmagic.Cache
	cfg   *certmagic.Config
}

// newMagic builds the explicit construction (never certmagic.Default): a
// cache whose maintenance renews with cfg, storage under our data dir, zap
// bridged to slog and events bridged to logs, metrics and Status.
func (m *Manager) newMagic(source string, storage certmagic.Storage, tmpl certmagic.Config) *magic {
	// The maintenance goroutine reads the config; an atomic pointer orders
	// that read after the write below.
	var cfgPtr atomic.Pointer[certmagic.Config]
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) {
			return cfgPtr.Load(), nil
		},
		RenewCheckInterval: m.cfg.renewCheckInterval,
		Logger:             m.zlog,
	})
	tmpl.Storage = storage
	tmpl.Logger = m.zlog
	tmpl.OnEvent = m.onEvent(source)
	tmpl.ShouldEmitFunc = shouldEmit
	cfg := certmagic.New(cache, tmpl)
	cfgPtr.Store(cfg)
	return &magic{cache: cache, cfg: cfg}
}

// startInternal loads or creates the built-in CA and makes sure a leaf
// exists for every internal name. Issuing is local and fast, so it is done
// synchronously: the first handshake already has its certificate.
func (m *Manager) startInternal(ctx context.Context, storage certmagic.Storage) error {
	ca, err := loadOrCreateCA(filepath.Join(m.cfg.DataDir, "pki"), m.cfg.now, m.log)
	if err != nil {
		return fmt.Errorf("built-in CA: %w", err)
	}
	m.ca = ca
	names, skipped := m.cfg.internalNames()
	for _, h := range skipped {
		m.log.Warn("host cannot be a certificate name; skipped", "host", h)
	}
	m.internalNames = names
	m.defaultName = m.cfg.defaultName(names)
	m.issuer = newInternalIssuer(ca, names, m.cfg.leafLifetime, m.cfg.now)
	m.internal = m.newMagic(sourceInternal, storage, certmagic.Config{
		Issuers: []certmagic.Issuer{m.issuer},
		// No SNI for an IP without a leaf, or an unknown SNI: serve the
		// default leaf rather than failing, which is easier to diagnose in a
		// browser; certmagic already prefers the leaf for the local IP.
		DefaultServerName:  m.defaultName,
		FallbackServerName: m.defaultName,
		DisableARI:         true,                                        // not an ACME CA
		OCSP:               certmagic.OCSPConfig{DisableStapling: true}, // no responder, no network
	})
	// ManageSync is safe here: its interactive prompts live in the ACME
	// issuer's PreCheck, which our issuer does not implement.
	if err := m.internal.cfg.ManageSync(ctx, names); err != nil {
		return fmt.Errorf("built-in CA leaves: %w", err)
	}
	return nil
}

// startACME starts background management of the ACME names. ManageAsync's
// goroutines belong to certmagic; they end when m.ctx is canceled (Close),
// including during certmagic's retry backoff.
func (m *Manager) startACME(storage certmagic.Storage) error {
	m.acmeNames = m.cfg.acmeDomains()
	m.acme = m.newMagic(sourceACME, storage, certmagic.Config{})
	tmpl := certmagic.ACMEIssuer{
		CA:     m.cfg.ACMECA,
		Email:  m.cfg.ACMEEmail,
		Agreed: true, // choosing ACME (flag or public --domain) accepts the CA's terms
		// TrustedRoots nil means the system roots.
		ListenHost:              m.cfg.ACMEListenHost,
		AltHTTPPort:             m.cfg.AltHTTPPort,
		AltTLSALPNPort:          m.cfg.AltTLSALPNPort,
		DisableHTTPChallenge:    m.cfg.disableHTTP01,
		DisableTLSALPNChallenge: m.cfg.disableTLSALPN01,
		Logger:                  m.zlog,
	}
	if tmpl.CA == "" {
		tmpl.CA = certmagic.LetsEncryptProductionCA
	}
	if m.cfg.ACMECARoot != "" {
		pool, err := loadRootPool(m.cfg.ACMECARoot)
		if err != nil {
			return fmt.Errorf("--acme-ca-root: %w", err)
		}
		tmpl.TrustedRoots = pool
	}
	m.acmeIssuer = certmagic.NewACMEIssuer(m.acme.cfg, tmpl)
	m.acme.cfg.Issuers = []certmagic.Issuer{m.acmeIssuer}
	// Not ManageSync: it is interactive, and certmagic may then prompt on
	// stdin for an e-mail address.
	if err := m.acme.cfg.ManageAsync(m.ctx, m.acmeNames); err != nil {
		return fmt.Errorf("start acme for %v: %w", m.acmeNames, err)
	}
	return nil
}

// shouldEmit skips the per-handshake event: nothing is logged per handshake,
// and building its payload costs on every connection.
func shouldEmit(event string) bool { return event != "tls_get_certificate" }

// onEvent bridges certmagic events of one source to our handler and the
// test hook. Events are synchronous in certmagic, so this stays quick.
func (m *Manager) onEvent(source string) func(context.Context, string, map[string]any) error {
	return func(ctx context.Context, event string, data map[string]any) error {
		m.handleEvent(ctx, source, event, data)
		if m.cfg.onEvent != nil {
			m.cfg.onEvent(source, event, data)
		}
		return nil
	}
}
