package turn

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/logging"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultRealm        = "conclave"
	DefaultMaxTTL       = 24 * time.Hour
	DefaultRelayPortMin = 49152
	DefaultRelayPortMax = 65535
	DefaultUserQuota    = 10
	DefaultIPQuota      = 300
	DefaultGlobalQuota  = 2000
	// DefaultBandwidth is 20 Mbit/s per direction per allocation: more than
	// one participant sends or receives in a call, far less than a flood.
	DefaultBandwidth int64 = 2_500_000
)

// Config configures a Server. Zero values mean the defaults above; for the
// quotas and BandwidthBytesPerSecond a negative value means "no limit".
// New takes ownership of UDPConn, TCPListener and TLSListener: Server.Close
// closes them (if New fails, they stay the caller's).
type Config struct {
	// Logger receives lifecycle and warning logs; nil discards them.
	Logger *slog.Logger
	// LoggerFactory is given to pion; nil means pion logs nothing.
	LoggerFactory logging.LoggerFactory
	// Registerer, when set, gets the conclave_turn_* collectors (unregistered by Close).
	Registerer prometheus.Registerer

	// UDPConn is the --turn UDP socket.
	UDPConn net.PacketConn
	// TCPListener is the --turn TCP listener.
	TCPListener net.Listener
	// TLSListener optionally yields connections already wrapped in TLS (STUN
	// inside TLS). The TLS-port demux can instead call Server.HandleTLSConn.
	TLSListener net.Listener

	// Realm is the STUN realm (default DefaultRealm).
	Realm string
	// Secrets returns the shared secrets of the TURN REST scheme, current
	// first, then older ones still in their grace period. It is called on
	// every authenticated request, so it must be cheap and safe for
	// concurrent use.
	Secrets func() [][]byte
	// MaxTTL refuses credentials whose expiry lies further than now+MaxTTL
	// (default DefaultMaxTTL). Credentials are minted with a TTL of minutes;
	// an expiry years ahead means a forged or leaked long-lived username.
	MaxTTL time.Duration

	// RelayIP is the address announced in XOR-RELAYED-ADDRESS: the
	// appliance's media IP (its public IP behind 1:1 NAT).
	RelayIP netip.Addr
	// RelayBindIP is where relay sockets bind; the zero value means RelayIP.
	// Behind 1:1 NAT set it to the local address (or 0.0.0.0).
	RelayBindIP netip.Addr
	// RelayPortMin and RelayPortMax bound relay ports, inclusive
	// (default DefaultRelayPortMin–DefaultRelayPortMax).
	RelayPortMin, RelayPortMax int

	// AllowedPeers are the ONLY destinations relays may reach: the SFU's
	// media IP:port(s). Every other address and every other port is denied.
	AllowedPeers []netip.AddrPort
	// TestAllowPeerIPs additionally allows these IPs on ANY port.
	//
	// TESTS ONLY. It exists so loopback tests can relay to a throwaway peer
	// (turnutils_peer on 127.0.0.1). In production it would turn the relay
	// into a proxy to every service on those hosts (the admin panel, a
	// database, cloud metadata). Never wire it to a flag.
	TestAllowPeerIPs []netip.Addr

	// UserQuota caps live allocations per user (the part after ':' in the
	// username), IPQuota per client IP, GlobalQuota in total. Over quota,
	// Allocate gets 486 (Allocation Quota Reached).
	UserQuota, IPQuota, GlobalQuota int
	// BandwidthBytesPerSecond caps each allocation in each direction; excess
	// packets are dropped. The bucket holds one second's worth.
	BandwidthBytesPerSecond int64
	// AllocationLifetime is the lifetime of an allocation whose client asks
	// for none (pion's default, 10 minutes, when zero). pion grants a client's
	// LIFETIME below one hour as asked (turnutils_uclient asks 777 s), so this
	// is a default, not a ceiling; quotas bound what lingers. Tests shorten it.
	AllocationLifetime time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// withDefaults returns c with every zero field filled in.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.LoggerFactory == nil {
		c.LoggerFactory = silentLoggerFactory{}
	}
	if c.Realm == "" {
		c.Realm = DefaultRealm
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = DefaultMaxTTL
	}
	if !c.RelayBindIP.IsValid() {
		c.RelayBindIP = c.RelayIP
	}
	if c.RelayPortMin == 0 && c.RelayPortMax == 0 {
		c.RelayPortMin, c.RelayPortMax = DefaultRelayPortMin, DefaultRelayPortMax
	}
	c.UserQuota = defaultInt(c.UserQuota, DefaultUserQuota)
	c.IPQuota = defaultInt(c.IPQuota, DefaultIPQuota)
	c.GlobalQuota = defaultInt(c.GlobalQuota, DefaultGlobalQuota)
	if c.BandwidthBytesPerSecond == 0 {
		c.BandwidthBytesPerSecond = DefaultBandwidth
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func defaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Validate reports the first problem with c, after defaults are applied. It
// calls Secrets once.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := validateSecrets(c.Secrets); err != nil {
		return err
	}
	if !c.RelayIP.IsValid() || c.RelayIP.IsUnspecified() || c.RelayIP.IsMulticast() {
		return fmt.Errorf("relay ip %q: %w", c.RelayIP, ErrNoRelayIP)
	}
	if c.RelayPortMin < 1 || c.RelayPortMax > 65535 || c.RelayPortMin > c.RelayPortMax {
		return fmt.Errorf("relay ports %d-%d: %w", c.RelayPortMin, c.RelayPortMax, ErrPortRange)
	}
	if c.MaxTTL < 0 || c.AllocationLifetime < 0 {
		return fmt.Errorf("max ttl %s, allocation lifetime %s: %w", c.MaxTTL, c.AllocationLifetime, ErrBadLimit)
	}
	return validatePeers(c.AllowedPeers, c.TestAllowPeerIPs)
}

func validateSecrets(secrets func() [][]byte) error {
	if secrets == nil {
		return ErrNoSecrets
	}
	for _, s := range secrets() {
		if len(s) > 0 {
			return nil
		}
	}
	return ErrNoSecrets
}

func validatePeers(peers []netip.AddrPort, testIPs []netip.Addr) error {
	if len(peers) == 0 && len(testIPs) == 0 {
		return ErrNoPeers
	}
	for _, p := range peers {
		if !usablePeerIP(p.Addr()) || p.Port() == 0 {
			return fmt.Errorf("allowed peer %q: %w", p, ErrBadPeer)
		}
	}
	for _, ip := range testIPs {
		if !usablePeerIP(ip) {
			return fmt.Errorf("test peer ip %q: %w", ip, ErrBadPeer)
		}
	}
	return nil
}

// usablePeerIP rejects addresses that can never be one specific host.
func usablePeerIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsUnspecified() && !ip.IsMulticast() &&
		ip != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// silentLoggerFactory keeps pion quiet when no LoggerFactory is given: its
// default factory writes to stderr on its own, bypassing slog.
type silentLoggerFactory struct{}

func (silentLoggerFactory) NewLogger(string) logging.LeveledLogger { return silentLogger{} }

type silentLogger struct{}

func (silentLogger) Trace(string)          {}
func (silentLogger) Tracef(string, ...any) {}
func (silentLogger) Debug(string)          {}
func (silentLogger) Debugf(string, ...any) {}
func (silentLogger) Info(string)           {}
func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Warn(string)           {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Error(string)          {}
func (silentLogger) Errorf(string, ...any) {}
