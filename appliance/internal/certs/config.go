package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Mode is a TLS mode, the value of --tls. The zero value means ModeAuto.
type Mode string

// The TLS modes.
const (
	ModeAuto     Mode = "auto"     // acme with a public --domain, else internal
	ModeACME     Mode = "acme"     // certificates from an ACME CA
	ModeInternal Mode = "internal" // certificates from the built-in CA
	ModeFiles    Mode = "files"    // --tls-cert and --tls-key
	ModeOff      Mode = "off"      // no TLS (loopback development only)
)

// Config configures a Manager. The zero value of every field is a usable
// default except DataDir (needed by acme and internal) and the files of
// ModeFiles.
type Config struct {
	// DataDir holds certmagic storage in DataDir/certs (the built-in CA's
	// leaves in DataDir/certs/internal) and the built-in CA's root in
	// DataDir/pki (root.crt 0644, root.key 0600); directories are 0700.
	DataDir string
	Mode    Mode
	// Domains are the --domain names; may be empty.
	Domains []string
	// ACMECA is the ACME directory URL; "" means Let's Encrypt production.
	ACMECA string
	// ACMECARoot is a PEM file with the root(s) of the ACME server itself,
	// trusted in addition to the system roots when talking to the CA.
	ACMECARoot string
	ACMEEmail  string
	// CertFile and KeyFile are the PEM files of ModeFiles.
	CertFile, KeyFile string
	// AltHTTPPort and AltTLSALPNPort are the ports our HTTP and HTTPS
	// listeners really use, when they are not 80 and 443 (tests, unprivileged
	// runs behind a port forward). 0 means the standard port.
	AltHTTPPort, AltTLSALPNPort int
	// ACMEListenHost is the host (no port) our listeners bind. certmagic
	// binds its own challenge listener there only when nothing listens on the
	// challenge port; "" means all interfaces.
	ACMEListenHost string
	// Hosts are extra names and IPs for the built-in CA's leaves (localhost,
	// 127.0.0.1, ::1, os.Hostname(), interface IPs). "localhost" is always
	// added. Entries that cannot be in a certificate are skipped with a Warn.
	Hosts []string
	// Logger receives our lines and certmagic's (bridged from zap); nil
	// discards them.
	Logger *slog.Logger
	// Registerer, when set, receives the conclave_tls_* collectors. They are
	// unregistered by Close.
	Registerer prometheus.Registerer

	// Test knobs; zero means the production value.
	renewCheckInterval time.Duration    // certmagic maintenance period
	filesPollInterval  time.Duration    // files mode change detection
	leafLifetime       time.Duration    // built-in CA leaves
	now                func() time.Time // built-in CA clock
	systemRoots        *x509.CertPool   // stands in for the system roots in PubliclyTrusted
	onEvent            func(source, event string, data map[string]any)
	disableHTTP01      bool
	disableTLSALPN01   bool
}

// Production defaults for the test knobs above.
const (
	defaultFilesPollInterval = 5 * time.Second
	defaultLeafLifetime      = 90 * 24 * time.Hour
	rootLifetime             = 10 * 365 * 24 * time.Hour
)

// ResolveMode returns the mode in force for --tls mode and the --domain
// values: auto (or "") becomes acme when any domain is a public DNS name and
// internal otherwise; every other mode is returned unchanged.
func ResolveMode(mode Mode, domains []string) Mode {
	if mode != ModeAuto && mode != "" {
		return mode
	}
	for _, d := range domains {
		if isPublicName(d) {
			return ModeACME
		}
	}
	return ModeInternal
}

// effectiveMode is ResolveMode plus one case: auto with an explicit --acme-ca
// and a DNS name means acme, because a private ACME CA (step-ca on an
// intranet) issues for names that are not public.
func (c Config) effectiveMode() Mode {
	m := ResolveMode(c.Mode, c.Domains)
	if m == ModeInternal && (c.Mode == "" || c.Mode == ModeAuto) && c.ACMECA != "" && len(c.dnsDomains()) > 0 {
		return ModeACME
	}
	return m
}

// acmeDomains are the names ACME is asked for. In auto mode against the
// default (public) CA only public names go there: asking Let's Encrypt for
// "box.lan" would fail and retry for 30 days. Those names still get leaves
// from the built-in CA.
func (c Config) acmeDomains() []string {
	if c.effectiveMode() != ModeACME {
		return nil
	}
	names := c.dnsDomains()
	if c.Mode == ModeACME || c.ACMECA != "" {
		return names
	}
	public := names[:0:0]
	for _, n := range names {
		if isPublicName(n) {
			public = append(public, n)
		}
	}
	return public
}

// dnsDomains returns the normalized domains that are DNS names (not IPs).
func (c Config) dnsDomains() []string {
	var out []string
	for _, d := range c.Domains {
		if n, ok := normalizeName(d); ok && !isIP(n) {
			out = append(out, n)
		}
	}
	return dedup(out)
}

// Validate reports every problem of c at once (errors.Join of *FlagError),
// each naming the flag to fix. It reads --acme-ca-root and the files of
// ModeFiles, so that unreadable files fail start-up rather than a handshake.
func (c Config) Validate() error {
	var errs []error
	add := func(flag string, err error) { errs = append(errs, &FlagError{Flag: flag, Err: err}) }

	switch c.Mode {
	case "", ModeAuto, ModeACME, ModeInternal, ModeFiles, ModeOff:
	default:
		add("--tls", fmt.Errorf("%w %q (want auto, acme, internal, files or off)", ErrUnknownMode, c.Mode))
	}
	mode := c.effectiveMode()
	for _, d := range c.Domains {
		if err := checkDomain(d, mode); err != nil {
			add("--domain", err)
		}
	}
	if (mode == ModeACME || mode == ModeInternal) && c.DataDir == "" {
		add("--data", fmt.Errorf("%w: --tls %s keeps certificates in the data directory", ErrMissing, mode))
	}
	if mode == ModeACME && len(c.acmeDomains()) == 0 {
		add("--domain", fmt.Errorf("%w: --tls acme needs at least one domain name", ErrMissing))
	}
	errs = append(errs, c.validateACME(mode)...)
	errs = append(errs, c.validateFiles(mode)...)
	return errors.Join(errs...)
}

// validateACME checks --acme-ca, --acme-ca-root and --acme-email.
func (c Config) validateACME(mode Mode) []error {
	var errs []error
	add := func(flag string, err error) { errs = append(errs, &FlagError{Flag: flag, Err: err}) }
	set := map[string]bool{"--acme-ca": c.ACMECA != "", "--acme-ca-root": c.ACMECARoot != "", "--acme-email": c.ACMEEmail != ""}
	if mode != ModeACME {
		for _, flag := range []string{"--acme-ca", "--acme-ca-root", "--acme-email"} {
			if set[flag] {
				add(flag, fmt.Errorf("%w: --tls is %s", ErrUnused, mode))
			}
		}
		return errs
	}
	if c.ACMECA != "" {
		u, err := url.Parse(c.ACMECA)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			add("--acme-ca", fmt.Errorf("%w: %q (want https://host/directory)", ErrBadURL, c.ACMECA))
		}
	}
	if c.ACMECARoot != "" {
		if _, err := loadRootPool(c.ACMECARoot); err != nil {
			add("--acme-ca-root", err)
		}
	}
	if c.ACMEEmail != "" {
		if _, err := mail.ParseAddress(c.ACMEEmail); err != nil {
			add("--acme-email", fmt.Errorf("%w: %q: %w", ErrBadName, c.ACMEEmail, err))
		}
	}
	return errs
}

// validateFiles checks --tls-cert and --tls-key.
func (c Config) validateFiles(mode Mode) []error {
	var errs []error
	add := func(flag string, err error) { errs = append(errs, &FlagError{Flag: flag, Err: err}) }
	if mode != ModeFiles {
		if c.CertFile != "" {
			add("--tls-cert", fmt.Errorf("%w: --tls is %s, not files", ErrUnused, mode))
		}
		if c.KeyFile != "" {
			add("--tls-key", fmt.Errorf("%w: --tls is %s, not files", ErrUnused, mode))
		}
		return errs
	}
	if c.CertFile == "" {
		add("--tls-cert", fmt.Errorf("%w with --tls files", ErrMissing))
	}
	if c.KeyFile == "" {
		add("--tls-key", fmt.Errorf("%w with --tls files", ErrMissing))
	}
	if c.CertFile == "" || c.KeyFile == "" {
		return errs
	}
	if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
		add("--tls-cert", fmt.Errorf("load %s and %s: %w", c.CertFile, c.KeyFile, err))
	}
	return errs
}

// loadRootPool returns the system roots plus the certificates in the PEM
// file at path (the ACME server's own root, e.g. step-ca's or pebble's).
func loadRootPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots (minimal container): the file alone
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoCertificates)
	}
	return pool, nil
}
