// Package turn is Conclave's embedded TURN server (RFC 8656) on pion/turn:
// UDP and TCP on --turn, TURN over TLS on the main TLS port, ephemeral TURN
// REST credentials, and a relay that reaches only the SFU.
//
// Security model: a TURN server in the same binary as the admin panel must
// never become a proxy into the host or its network. Relays may exchange
// packets only with Config.AllowedPeers (the SFU's media IP:port); the
// PermissionHandler denies every other IP (IPv4-mapped IPv6 unmapped first),
// each relay socket drops packets to or from any other IP:port, and TCP
// relaying (RFC 6062) is refused.
package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// closeTimeout bounds how long Close waits for pion's loops, connections and
// relay sockets to end.
const closeTimeout = 5 * time.Second

// Server is a running TURN server. Create it with New and stop it with
// Close; its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	pion    *pionturn.Server
	metrics *metrics
	quotas  *quotas
	policy  *peerPolicy
	udp     *udpConn // nil without Config.UDPConn
	handoff *chanListener

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	conns   map[net.Addr]*streamConn // live TCP/TLS connections by remote address
	live    int                      // loops, connections and relay sockets not yet ended
	closing bool
	idle    chan struct{} // closed when closing and live reaches 0
}

// New validates cfg and starts serving on its sockets (pion starts its read
// loops in NewServer). The caller must Close the Server.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		logger:  cfg.Logger.With("component", "turn"),
		metrics: m,
		quotas:  newQuotas(cfg.UserQuota, cfg.IPQuota, cfg.GlobalQuota),
		policy:  newPeerPolicy(cfg.AllowedPeers, cfg.TestAllowPeerIPs, hostAddrs()),
		handoff: newChanListener(),
		conns:   make(map[net.Addr]*streamConn),
		idle:    make(chan struct{}),
	}
	s.pion, err = pionturn.NewServer(s.pionConfig())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start turn server: %w", err), m.unregister())
	}
	s.logger.Info("turn server started", slog.String("realm", cfg.Realm),
		slog.String("relay_ip", cfg.RelayIP.String()),
		slog.Int("relay_port_min", cfg.RelayPortMin), slog.Int("relay_port_max", cfg.RelayPortMax),
		slog.Any("allowed_peers", cfg.AllowedPeers))
	if len(cfg.TestAllowPeerIPs) > 0 {
		s.logger.Warn("turn relay allows TEST peer IPs on every port; never use this in production",
			slog.Any("test_peer_ips", cfg.TestAllowPeerIPs))
	}
	return s, nil
}

// pionConfig builds pion's configuration with our wrappers around every
// socket and hook.
func (s *Server) pionConfig() pionturn.ServerConfig {
	cfg := s.cfg
	gen := &relayGenerator{
		inner: &pionturn.RelayAddressGeneratorPortRange{
			RelayAddress: cfg.RelayIP.AsSlice(),
			Address:      cfg.RelayBindIP.String(),
			MinPort:      uint16(cfg.RelayPortMin), //nolint:gosec // Validate bounds it to 1..65535
			MaxPort:      uint16(cfg.RelayPortMax), //nolint:gosec // idem
		},
		policy: s.policy, metrics: s.metrics, bandwidth: cfg.BandwidthBytesPerSecond,
		now: cfg.Now, track: s.track,
	}
	perm := s.policy.permissionHandler(s.metrics.deny)
	pc := pionturn.ServerConfig{
		LoggerFactory:      cfg.LoggerFactory,
		Realm:              cfg.Realm,
		AuthHandler:        s.authenticator().handle,
		QuotaHandler:       s.quotaHandler,
		EventHandler:       s.eventHandler(),
		AllocationLifetime: cfg.AllocationLifetime,
	}
	if cfg.UDPConn != nil {
		s.udp = &udpConn{PacketConn: cfg.UDPConn, release: s.mustTrack()}
		pc.PacketConnConfigs = []pionturn.PacketConnConfig{{
			PacketConn: s.udp, RelayAddressGenerator: gen, PermissionHandler: perm,
		}}
	}
	for _, ln := range []net.Listener{cfg.TCPListener, cfg.TLSListener, s.handoff} {
		if ln == nil {
			continue
		}
		pc.ListenerConfigs = append(pc.ListenerConfigs, pionturn.ListenerConfig{
			Listener:              &streamListener{Listener: ln, srv: s, release: s.mustTrack()},
			RelayAddressGenerator: gen, PermissionHandler: perm,
		})
	}
	return pc
}

func (s *Server) authenticator() *authenticator {
	return &authenticator{
		realm: s.cfg.Realm, secrets: s.cfg.Secrets, maxTTL: s.cfg.MaxTTL, now: s.cfg.Now,
		frame: s.frame, failed: s.metrics.authFailed, logger: s.logger,
	}
}

// frame returns the STUN frame being handled for src (see authenticator.check).
func (s *Server) frame(src net.Addr) []byte {
	if s.udp != nil {
		if f := s.udp.stash.get(src); f != nil {
			return f
		}
	}
	s.mu.Lock()
	c := s.conns[src]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.stash.get(src)
}

func (s *Server) quotaHandler(user, _ string, src net.Addr) bool {
	if reason := s.quotas.check(user, src); reason != "" {
		s.metrics.deny(reason)
		s.logger.Debug("turn allocation over quota", slog.String("reason", reason),
			slog.String("participant", user), slog.Any("remote_addr", src))
		return false
	}
	return true
}

func (s *Server) eventHandler() pionturn.EventHandler {
	return pionturn.EventHandler{
		OnAuth: func(_, _ net.Addr, _, _, _, _ string, verdict bool) {
			if !verdict { // only when check had no frame and pion's own check failed
				s.metrics.authFailed(authIntegrity)
			}
		},
		OnAllocationCreated: func(src, _ net.Addr, _, user, _ string, _ net.Addr, _ int) {
			s.quotas.add(user, src)
			s.metrics.allocations.Inc()
			s.metrics.allocated.Inc()
			s.logger.Debug("turn allocation created", slog.String("participant", user), slog.Any("remote_addr", src))
		},
		OnAllocationDeleted: func(src, _ net.Addr, _, user, _ string) {
			s.quotas.remove(user, src)
			s.metrics.allocations.Dec()
			s.logger.Debug("turn allocation deleted", slog.String("participant", user), slog.Any("remote_addr", src))
		},
	}
}

// Allocations returns the number of live allocations.
func (s *Server) Allocations() int { return s.pion.AllocationCount() }

// HandleTLSConn serves TURN on conn, a connection on which the TLS-port
// demux has completed the TLS handshake and seen STUN. It takes ownership
// of conn and returns once the server has accepted it (or closed it, if
// the Server is closed). Its signature fits the demux's ConnHandler.
func (s *Server) HandleTLSConn(conn net.Conn) {
	s.handoff.deliver(conn)
}
