package turn

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	pionturn "github.com/pion/turn/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// SelfTestPayload is the datagram SelfTest relays to the SFU. Its first
// byte ('c', 0x63) is outside the STUN (0–3), DTLS (20–63) and RTP/RTCP
// (128–191) ranges of RFC 7983, so a demultiplexer discards it.
const SelfTestPayload = "conclave turn self-test"

// selfTestUser is the user part of the self-test's credentials (it has its
// own per-user quota, so it never takes a participant's).
const selfTestUser = "conclave-selftest"

// SelfTest checks the relay path the way a browser uses it (Galène's
// RelayTest): it allocates on the Server's own UDP listener with freshly
// minted credentials, creates a permission for the first AllowedPeers entry
// (the SFU) and sends SelfTestPayload to it through the relay. The payload is
// neither STUN, DTLS nor RTP, so the SFU's ICE mux drops it quietly. It
// succeeds once the relay socket has sent the packet. On failure it logs a warning with
// the reason and returns an error wrapping ErrSelfTest; call it after the
// SFU is listening, with a deadline in ctx.
func (s *Server) SelfTest(ctx context.Context) error {
	start := time.Now()
	if err := s.selfTest(ctx); err != nil {
		s.logger.Warn("turn relay self-test failed: clients behind UDP-blocking firewalls may not connect",
			slog.Any("err", err))
		return fmt.Errorf("%w: %w", ErrSelfTest, err)
	}
	s.logger.Info("turn relay self-test passed", slog.Duration("duration", time.Since(start)))
	return nil
}

func (s *Server) selfTest(ctx context.Context) error {
	if s.udp == nil {
		return fmt.Errorf("no udp listener")
	}
	if len(s.cfg.AllowedPeers) == 0 {
		return fmt.Errorf("no allowed peer to relay to")
	}
	server, err := selfTestTarget(s.udp.LocalAddr(), s.cfg.RelayIP)
	if err != nil {
		return err
	}
	conn, err := net.ListenPacket("udp", net.JoinHostPort(server.Addr().String(), "0"))
	if err != nil {
		return fmt.Errorf("listen for self-test client: %w", err)
	}
	defer conn.Close()
	relay, closeClient, err := s.selfTestAllocate(ctx, conn, server.String())
	if err != nil {
		return err
	}
	defer closeClient()
	defer relay.Close()
	return s.selfTestSend(ctx, relay, s.cfg.AllowedPeers[0])
}

// selfTestTarget is where a local client reaches the UDP listener: loopback
// if it listens on all addresses, of the relay IP's family, since pion
// allocates relays in the client's address family (an IPv6 client of an
// IPv4 relay gets 508).
func selfTestTarget(addr net.Addr, relayIP netip.Addr) (netip.AddrPort, error) {
	ap, ok := addrPortOf(addr)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("udp listener address %v not ip", addr)
	}
	if ap.Addr().IsUnspecified() {
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if relayIP.Is6() && !relayIP.Is4In6() {
			lo = netip.IPv6Loopback()
		}
		ap = netip.AddrPortFrom(lo, ap.Port())
	}
	return ap, nil
}

func (s *Server) selfTestAllocate(ctx context.Context, conn net.PacketConn, server string) (net.PacketConn, func(), error) {
	secrets := nonEmpty(s.cfg.Secrets())
	if len(secrets) == 0 {
		return nil, nil, ErrNoSecrets
	}
	username, password := Credentials(secrets[0], selfTestUser, time.Minute, s.cfg.Now())
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: server, STUNServerAddr: server, Conn: conn,
		Username: username, Password: password, Realm: s.cfg.Realm,
		// The probe client's own chatter (a channel bind cut short by its
		// close) is not the server's business; the outcome is logged above.
		LoggerFactory: silentLoggerFactory{},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("self-test client: %w", err)
	}
	if err := client.Listen(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("self-test client listen: %w", err)
	}
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("allocate: %w", err)
	}
	return relay, client.Close, nil
}

// selfTestSend creates the permission for peer (WriteTo does so first and
// fails on 403) and waits until the relay has sent the probe.
func (s *Server) selfTestSend(ctx context.Context, relay net.PacketConn, peer netip.AddrPort) error {
	before := counterValue(s.metrics.packetsToPeer)
	if _, err := relay.WriteTo([]byte(SelfTestPayload), net.UDPAddrFromAddrPort(peer)); err != nil {
		return fmt.Errorf("relay to %s: %w", peer, err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for counterValue(s.metrics.packetsToPeer) == before {
		select {
		case <-ctx.Done():
			return fmt.Errorf("relay to %s: nothing sent: %w", peer, context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if c.Write(&m) != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
