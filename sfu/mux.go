package sfu

import (
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/pion/logging"
)

// udpMux is the method set of pion's ice.UDPMux, declared here so that we
// can wrap one without depending on its concrete type.
type udpMux interface {
	io.Closer
	GetConn(ufrag string, addr net.Addr) (net.PacketConn, error)
	RemoveConnByUfrag(ufrag string)
	GetListenAddresses() []net.Addr
}

// hostUDPMux restricts the addresses pion advertises for the shared UDP
// socket. pion's mux on an unspecified address (0.0.0.0 or ::) advertises
// every interface address, and its IP filter does not apply to the mux, so
// we answer GetListenAddresses ourselves with the configured host IPs.
type hostUDPMux struct {
	udpMux
	addrs []net.Addr
}

// hostListenAddrs is what the shared UDP socket advertises: nil means
// pion's default gathering (no HostIPs and a socket on an unspecified
// address). It fails when no configured host address is served by conn.
func hostListenAddrs(conn net.PacketConn, hosts []netip.Addr) ([]net.Addr, error) {
	if len(hosts) == 0 {
		return nil, nil
	}
	local, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil, fmt.Errorf("udp socket address %v is not a UDP address", conn.LocalAddr())
	}
	addrs := listenAddrs(local, hosts)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("none of the host addresses %v is served by the udp socket %v", hosts, local)
	}
	return addrs, nil
}

// listenAddrs is the subset of hosts that local (the socket's bound
// address) serves, each with local's port. Loopback addresses count only
// when every host is loopback: a LAN or public server must never advertise
// 127.0.0.1.
func listenAddrs(local *net.UDPAddr, hosts []netip.Addr) []net.Addr {
	bound, _ := netip.AddrFromSlice(local.IP)
	bound = bound.Unmap()
	loopbackOK := allLoopback(hosts)
	var out []net.Addr
	for _, h := range hosts {
		switch {
		case h.IsLoopback() && !loopbackOK:
			continue
		case bound.IsUnspecified() && bound.Is4() && !h.Is4():
			continue // a 0.0.0.0 socket cannot serve IPv6
		case !bound.IsUnspecified() && bound != h:
			continue
		}
		out = append(out, &net.UDPAddr{IP: h.AsSlice(), Port: local.Port})
	}
	return out
}

// GetListenAddresses implements ice.UDPMux.
func (m hostUDPMux) GetListenAddresses() []net.Addr { return m.addrs }

// discardLoggerFactory drops pion's logs when Config.LoggerFactory is nil.
type discardLoggerFactory struct{}

var _ logging.LoggerFactory = discardLoggerFactory{}

// NewLogger implements logging.LoggerFactory.
func (discardLoggerFactory) NewLogger(string) logging.LeveledLogger { return discardLogger{} }

// discardLogger is a logging.LeveledLogger that drops everything.
type discardLogger struct{}

func (discardLogger) Trace(string)          {}
func (discardLogger) Tracef(string, ...any) {}
func (discardLogger) Debug(string)          {}
func (discardLogger) Debugf(string, ...any) {}
func (discardLogger) Info(string)           {}
func (discardLogger) Infof(string, ...any)  {}
func (discardLogger) Warn(string)           {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Error(string)          {}
func (discardLogger) Errorf(string, ...any) {}
