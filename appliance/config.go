package appliance

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"conclave/appliance/internal/certs"
)

// Config is everything `conclave serve` can be told. The zero value is not
// ready: call Defaults first, then Validate. Field names map one to one onto
// the flags of DESIGN.md's contract (see flags.go).
type Config struct {
	DataDir string // --data

	HTTPSAddr string // --https: TLS port (HTTPS, TURN over TLS, ICE-TCP)
	HTTPAddr  string // --http: ACME HTTP-01, /ca.crt, redirect to HTTPS; "off" disables

	Domains    []string   // --domain, repeatable
	TLSMode    certs.Mode // --tls
	ACMECA     string     // --acme-ca
	ACMECARoot string     // --acme-ca-root
	ACMEEmail  string     // --acme-email
	TLSCert    string     // --tls-cert
	TLSKey     string     // --tls-key

	TURNAddr     string // --turn (used by the TURN server)
	MediaUDPAddr string // --media-udp (used by the SFU)
	PublicIP     string // --public-ip

	MetricsAddr string // --metrics; "off" disables

	// LastN is --last-n: how many of the latest speakers' cameras keep
	// flowing (lowest simulcast encoding) while off screen. 0 means the
	// default, 3; -1 none (the flag's 0).
	LastN int

	LogFormat string // --log-format: text or json
	LogLevel  string // --log-level: debug, info, warn, error
}

// Default listen addresses. Unprivileged unless a domain is given, in which
// case a VPS owner expects the standard ports (DESIGN.md "Shape of the process").
const (
	defaultHTTPSAddr       = ":8443"
	defaultHTTPAddr        = ":8080"
	defaultHTTPSAddrDomain = ":443"
	defaultHTTPAddrDomain  = ":80"
	defaultTURNAddr        = ":3478"
	defaultMediaUDPAddr    = ":7882"
	defaultMetricsAddr     = "127.0.0.1:9470"
	defaultLastN           = 3
	maxLastN               = 100
	defaultDataDir         = "./conclave-data"
	addrOff                = "off"
	logFormatText          = "text"
	logFormatJSON          = "json"
)

// Defaults fills every empty field with its zero-config value.
func (c *Config) Defaults() {
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	if c.LastN == 0 {
		c.LastN = defaultLastN
	}
	if c.HTTPSAddr == "" {
		c.HTTPSAddr = defaultHTTPSAddr
		if len(c.Domains) > 0 {
			c.HTTPSAddr = defaultHTTPSAddrDomain
		}
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = defaultHTTPAddr
		if len(c.Domains) > 0 {
			c.HTTPAddr = defaultHTTPAddrDomain
		}
	}
	if c.TLSMode == "" {
		c.TLSMode = certs.ModeAuto
	}
	if c.TURNAddr == "" {
		c.TURNAddr = defaultTURNAddr
	}
	if c.MediaUDPAddr == "" {
		c.MediaUDPAddr = defaultMediaUDPAddr
	}
	if c.MetricsAddr == "" {
		c.MetricsAddr = defaultMetricsAddr
	}
	if c.LogFormat == "" {
		c.LogFormat = logFormatText
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

// Validate reports every problem at once, each naming its flag, so an operator
// fixes a unit file in one go rather than one restart per typo.
func (c Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data", "must not be empty")
	}
	for _, a := range []struct{ flag, addr string }{
		{"https", c.HTTPSAddr}, {"turn", c.TURNAddr}, {"media-udp", c.MediaUDPAddr},
	} {
		if err := checkListenAddr(a.addr); err != nil {
			bad(a.flag, "%v", err)
		}
	}
	for _, a := range []struct{ flag, addr string }{{"http", c.HTTPAddr}, {"metrics", c.MetricsAddr}} {
		if a.addr == addrOff {
			continue
		}
		if err := checkListenAddr(a.addr); err != nil {
			bad(a.flag, "%v (or \"off\")", err)
		}
	}
	for _, d := range c.Domains {
		if err := checkDomain(d); err != nil {
			bad("domain", "%q: %v", d, err)
		}
	}
	if c.PublicIP != "" {
		if ip, err := netip.ParseAddr(c.PublicIP); err != nil || ip.IsUnspecified() || ip.IsMulticast() {
			bad("public-ip", "%q is not a usable IP address", c.PublicIP)
		}
	}
	if c.LastN < -1 || c.LastN > maxLastN {
		bad("last-n", "%d: want 0 (off) to %d", c.LastN, maxLastN)
	}
	switch c.LogFormat {
	case logFormatText, logFormatJSON:
	default:
		bad("log-format", "%q: want text or json", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("log-level", "%v", err)
	}
	if c.TLSMode == certs.ModeOff && !c.allLoopback() {
		bad("tls", "off is only allowed when every listener (--https, --http, --turn, --media-udp) is on loopback")
	}
	if err := c.certsConfig(nil).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkListenAddr accepts host:port with a numeric port; the host may be empty
// (all interfaces), an IP or a name.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: bad host", addr)
	}
	return nil
}

// checkDomain accepts DNS names (RFC 1123 labels) and IP literals.
func checkDomain(d string) error {
	if _, err := netip.ParseAddr(d); err == nil {
		return nil
	}
	if len(d) == 0 || len(d) > 253 {
		return errors.New("must be 1 to 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(d, "."), ".") {
		if len(label) == 0 || len(label) > 63 {
			return errors.New("every label must be 1 to 63 characters")
		}
		for i, r := range label {
			ok := r == '-' && i > 0 && i < len(label)-1 ||
				r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
			if !ok {
				return fmt.Errorf("character %q is not allowed in a host name", r)
			}
		}
	}
	return nil
}

// allLoopback reports whether every enabled listener binds a loopback address.
func (c Config) allLoopback() bool {
	for _, addr := range []string{c.HTTPSAddr, c.HTTPAddr, c.TURNAddr, c.MediaUDPAddr} {
		if addr == addrOff {
			continue
		}
		if !isLoopbackAddr(addr) {
			return false
		}
	}
	return true
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
