package turn

import (
	"fmt"
	"net"
	"sync"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// relayGenerator wraps pion's port-range generator so that every relay socket
// is a relayConn (port filter, bandwidth cap, byte counts) and TCP relaying
// (RFC 6062) is refused.
type relayGenerator struct {
	inner     *pionturn.RelayAddressGeneratorPortRange
	policy    *peerPolicy
	metrics   *metrics
	bandwidth int64
	now       func() time.Time
	// track registers a relay socket with the Server; false once closing.
	track func() (release func(), ok bool)
}

var _ pionturn.RelayAddressGenerator = (*relayGenerator)(nil)

// Validate implements pionturn.RelayAddressGenerator.
func (g *relayGenerator) Validate() error {
	if err := g.inner.Validate(); err != nil {
		return fmt.Errorf("relay address generator: %w", err)
	}
	return nil
}

// AllocatePacketConn implements pionturn.RelayAddressGenerator. A requested
// port (EVEN-PORT, RESERVATION-TOKEN) must lie in the configured range: pion
// binds a requested port as is, and a reservation's port+1 can fall outside.
func (g *relayGenerator) AllocatePacketConn(conf pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if p := conf.RequestedPort; p != 0 && (p < int(g.inner.MinPort) || p > int(g.inner.MaxPort)) {
		g.metrics.deny("relay_port")
		return nil, nil, fmt.Errorf("port %d: %w", p, ErrRelayPort)
	}
	release, ok := g.track()
	if !ok {
		return nil, nil, ErrClosed
	}
	conn, addr, err := g.inner.AllocatePacketConn(conf)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("allocate relay %s: %w", conf.Network, err)
	}
	now := g.now()
	return &relayConn{
		PacketConn: conn,
		policy:     g.policy,
		metrics:    g.metrics,
		now:        g.now,
		out:        newTokenBucket(g.bandwidth, now),
		in:         newTokenBucket(g.bandwidth, now),
		release:    release,
	}, addr, nil
}

// AllocateListener implements pionturn.RelayAddressGenerator: TCP relay is off.
func (g *relayGenerator) AllocateListener(pionturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	g.metrics.deny("tcp_relay")
	return nil, nil, ErrTCPRelayDisabled
}

// AllocateConn implements pionturn.RelayAddressGenerator: TCP relay is off.
func (g *relayGenerator) AllocateConn(pionturn.AllocateConnConfig) (net.Conn, error) {
	g.metrics.deny("tcp_relay")
	return nil, ErrTCPRelayDisabled
}

// relayConn is one allocation's relay socket. The PermissionHandler sees only
// peer IPs, so here every packet is checked against the allowed IP:port
// pairs in both directions: a client holding a permission for the SFU's IP
// still cannot reach another port on that host (TESTPLAN fact 4), and nothing
// but the SFU's port can talk back through the relay. Refused and over-cap
// packets are dropped silently, as a UDP network would.
type relayConn struct {
	net.PacketConn
	policy  *peerPolicy
	metrics *metrics
	now     func() time.Time
	out, in *tokenBucket // client→peer, peer→client

	closeOnce sync.Once
	release   func()
}

// WriteTo sends a client's payload to a peer.
func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ap, ok := addrPortOf(addr)
	if !ok || !c.policy.allowAddrPort(ap) {
		c.metrics.deniedPort.Inc()
		return len(p), nil
	}
	if c.out.limited() && !c.out.allow(len(p), c.now()) {
		c.metrics.deniedBandwidth.Inc()
		return len(p), nil
	}
	n, err := c.PacketConn.WriteTo(p, addr)
	if err != nil {
		return n, fmt.Errorf("relay write: %w", err)
	}
	c.metrics.bytesToPeer.Add(float64(n))
	c.metrics.packetsToPeer.Inc()
	return n, nil
}

// ReadFrom returns the next packet from an allowed peer within the cap.
func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		ap, ok := addrPortOf(addr)
		if !ok || !c.policy.allowAddrPort(ap) {
			c.metrics.deniedSource.Inc()
			continue
		}
		if c.in.limited() && !c.in.allow(n, c.now()) {
			c.metrics.deniedBandwidth.Inc()
			continue
		}
		c.metrics.bytesToClient.Add(float64(n))
		c.metrics.packetsToClient.Inc()
		return n, addr, nil
	}
}

// Close closes the socket and tells the Server it is gone.
func (c *relayConn) Close() error {
	err := c.PacketConn.Close()
	c.closeOnce.Do(c.release)
	return err
}
