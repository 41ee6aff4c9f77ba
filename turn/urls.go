package turn

import (
	"net"
	"strconv"
)

// URLs returns the ICE server URLs (RFC 7065) a browser needs to reach this
// server at host: TURN over UDP and TCP on turnPort, and TURN over TLS on
// tlsPort (the main TLS port, through the demux), the one that still works
// where only TCP 443 gets out. A zero port leaves its URLs out. host may be
// a name or an IP (IPv6 gets brackets).
func URLs(host string, turnPort, tlsPort int) []string {
	var urls []string
	if turnPort > 0 {
		hp := net.JoinHostPort(host, strconv.Itoa(turnPort))
		urls = append(urls, "turn:"+hp+"?transport=udp", "turn:"+hp+"?transport=tcp")
	}
	if tlsPort > 0 {
		urls = append(urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(tlsPort))+"?transport=tcp")
	}
	return urls
}
