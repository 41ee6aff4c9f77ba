package appliance

import (
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"conclave/appliance/internal/certs"
)

// certsConfig maps the TLS flags onto the certs package. hosts are the
// names and IPs the built-in CA's leaf must cover.
func (c Config) certsConfig(hosts []string) certs.Config {
	return certs.Config{
		DataDir:    c.DataDir,
		Mode:       c.TLSMode,
		Domains:    c.Domains,
		ACMECA:     c.ACMECA,
		ACMECARoot: c.ACMECARoot,
		ACMEEmail:  c.ACMEEmail,
		CertFile:   c.TLSCert,
		KeyFile:    c.TLSKey,
		Hosts:      hosts,
	}
}

// tlsRuntime is what only exists once the process runs: the logger, the
// metrics registry and the ports the listeners really got.
type tlsRuntime struct {
	logger              *slog.Logger
	registerer          prometheus.Registerer
	httpPort, httpsPort int
}

func (c Config) certsRuntimeConfig(hosts []string, rt tlsRuntime) certs.Config {
	cc := c.certsConfig(hosts)
	cc.Logger = rt.logger
	cc.Registerer = rt.registerer
	cc.AltHTTPPort = rt.httpPort
	cc.AltTLSALPNPort = rt.httpsPort
	// certmagic binds challenge ports itself unless it finds ours taken on
	// the same host; telling it our host keeps it from trying.
	if host, _, err := net.SplitHostPort(c.HTTPSAddr); err == nil {
		cc.ACMEListenHost = host
	}
	return cc
}
