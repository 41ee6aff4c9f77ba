package netlab

import (
	"context"
	"fmt"
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// Net is a pion transport.Net for one namespace of a lab. It is the
// standard library's network (pion's stdnet) except that every socket is
// created inside the namespace, where it stays; the interface list is the
// namespace's, read when the lab was built. Name lookups are not
// namespaced (Go resolves in its own goroutines): use addresses.
type Net struct {
	*stdnet.Net // Interfaces, InterfaceBy*, Resolve*: no sockets
	ns          *netns
}

var _ transport.Net = (*Net)(nil)

// newNet reads the namespace's interfaces from inside it.
func newNet(ns *netns) (*Net, error) {
	n := &Net{ns: ns}
	err := ns.do(func() error {
		std, err := stdnet.NewNet()
		n.Net = std
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	return n, nil
}

// inNS runs fn inside ns and returns what it made.
func inNS[T any](ns *netns, fn func() (T, error)) (T, error) {
	var v T
	err := ns.do(func() error {
		var err error
		v, err = fn()
		return err
	})
	return v, err
}

// UpdateInterfaces re-reads the namespace's interfaces. Like stdnet's, it
// must not run while another goroutine calls Interfaces.
func (n *Net) UpdateInterfaces() error {
	return n.ns.do(n.Net.UpdateInterfaces)
}

// ListenPacket announces on the local network address, in the namespace.
func (n *Net) ListenPacket(network, address string) (net.PacketConn, error) {
	return inNS(n.ns, func() (net.PacketConn, error) { return n.Net.ListenPacket(network, address) })
}

// ListenUDP acts like ListenPacket for UDP networks.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	return inNS(n.ns, func() (transport.UDPConn, error) { return n.Net.ListenUDP(network, laddr) })
}

// ListenTCP listens for TCP connections in the namespace; accepted
// connections are in it too.
func (n *Net) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	return inNS(n.ns, func() (transport.TCPListener, error) { return n.Net.ListenTCP(network, laddr) })
}

// Dial connects from the namespace.
func (n *Net) Dial(network, address string) (net.Conn, error) {
	return n.DialContext(context.Background(), network, address)
}

// DialContext connects from the namespace; it has the signature of
// http.Transport.DialContext.
func (n *Net) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return dialer{d: &net.Dialer{}, ns: n.ns}.DialContext(ctx, network, address)
}

// DialUDP acts like Dial for UDP networks.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	return inNS(n.ns, func() (transport.UDPConn, error) { return n.Net.DialUDP(network, laddr, raddr) })
}

// DialTCP acts like Dial for TCP networks.
func (n *Net) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	return inNS(n.ns, func() (transport.TCPConn, error) { return n.Net.DialTCP(network, laddr, raddr) })
}

// CreateDialer wraps d so that it dials from the namespace.
func (n *Net) CreateDialer(d *net.Dialer) transport.Dialer {
	return dialer{d: d, ns: n.ns}
}

// CreateListenConfig wraps lc so that it listens in the namespace.
func (n *Net) CreateListenConfig(lc *net.ListenConfig) transport.ListenConfig {
	return listenConfig{lc: lc, ns: n.ns}
}

// dialer is a net.Dialer that dials from a namespace.
type dialer struct {
	d  *net.Dialer
	ns *netns
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext dials on the namespace's thread. Fast fallback is off: it
// races IPv6 and IPv4 in goroutines of its own, outside the namespace.
func (d dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nd := *d.d
	nd.FallbackDelay = -1
	return inNS(d.ns, func() (net.Conn, error) { return nd.DialContext(ctx, network, address) })
}

// listenConfig is a net.ListenConfig that listens in a namespace.
type listenConfig struct {
	lc *net.ListenConfig
	ns *netns
}

func (l listenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	return inNS(l.ns, func() (net.Listener, error) { return l.lc.Listen(ctx, network, address) })
}

func (l listenConfig) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	return inNS(l.ns, func() (net.PacketConn, error) { return l.lc.ListenPacket(ctx, network, address) })
}
