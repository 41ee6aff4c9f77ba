package turn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
	pionturn "github.com/pion/turn/v5"
)

// pionClient allocates through the server with pion's client over UDP or
// TCP. It returns the relay conn, or the Allocate error.
func pionClient(t *testing.T, network string, server netip.AddrPort, username, password, realm string) (net.PacketConn, error) {
	t.Helper()
	var conn net.PacketConn
	switch network {
	case "udp":
		conn = listenUDP(t)
	case "tcp":
		c, err := net.Dial("tcp4", server.String())
		if err != nil {
			t.Fatal(err)
		}
		conn = pionturn.NewSTUNConn(c)
		t.Cleanup(func() { c.Close() })
	}
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: server.String(), STUNServerAddr: server.String(), Conn: conn,
		Username: username, Password: password, Realm: realm, LoggerFactory: silentLoggerFactory{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	relay, err := client.AllocateWithContext(ctx)
	t.Cleanup(func() {
		if relay != nil {
			relay.Close()
		}
		client.Close()
		conn.Close()
	})
	return relay, err
}

// TestSecretRotation: during the grace period credentials of the current and
// the previous secret both allocate, over UDP and TCP; after it, only the
// current one does. Secrets is read live, on every request.
func TestSecretRotation(t *testing.T) {
	current, previous, stranger := []byte("current-secret"), []byte("previous-secret"), []byte("stranger")
	var secrets atomic.Pointer[[][]byte]
	secrets.Store(&[][]byte{current, previous})
	ts := startServer(t, func(c *Config) { c.Secrets = func() [][]byte { return *secrets.Load() } })
	servers := map[string]netip.AddrPort{"udp": ts.udpAddr, "tcp": ts.tcpAddr}
	tests := []struct {
		name    string
		grace   bool // previous secret still listed
		secret  []byte
		wantErr bool
	}{
		{"current", true, current, false},
		{"previous in grace", true, previous, false},
		{"stranger", true, stranger, true},
		{"previous after grace", false, previous, true},
		{"current after grace", false, current, false},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				if tt.grace {
					secrets.Store(&[][]byte{current, previous})
				} else {
					secrets.Store(&[][]byte{current})
				}
				u, p := Credentials(tt.secret, "rot-"+network, time.Hour, time.Now())
				_, err := pionClient(t, network, servers[network], u, p, "test.realm")
				if (err != nil) != tt.wantErr {
					t.Fatalf("allocate err = %v, want error %v", err, tt.wantErr)
				}
			})
		}
	}
}

// TestSelfTest: the relay self-test reaches the SFU's address, and reports
// (and logs) a broken relay.
func TestSelfTest(t *testing.T) {
	t.Run("passes", func(t *testing.T) {
		sfu := listenUDP(t)
		ts := startServer(t, func(c *Config) { c.AllowedPeers = []netip.AddrPort{mustAddrPort(t, sfu.LocalAddr())} })
		if err := ts.SelfTest(t.Context()); err != nil {
			t.Fatalf("SelfTest: %v", err)
		}
		if got := readWithin(t, sfu, 2*time.Second); string(got) != SelfTestPayload {
			t.Fatalf("sfu got %q, want %q", got, SelfTestPayload)
		}
		if !strings.Contains(ts.logs.String(), "self-test passed") {
			t.Errorf("no pass log:\n%s", ts.logs)
		}
	})
	t.Run("no free relay port", func(t *testing.T) {
		taken := listenUDP(t)
		p := taken.LocalAddr().(*net.UDPAddr).Port
		ts := startServer(t, func(c *Config) { c.RelayPortMin, c.RelayPortMax = p, p })
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := ts.SelfTest(ctx); !errors.Is(err, ErrSelfTest) {
			t.Fatalf("SelfTest = %v, want ErrSelfTest", err)
		}
		if !strings.Contains(ts.logs.String(), "level=WARN msg=\"turn relay self-test failed") {
			t.Errorf("no warning logged:\n%s", ts.logs)
		}
	})
	t.Run("no udp listener", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.UDPConn.Close(); c.UDPConn = nil })
		if err := ts.SelfTest(t.Context()); !errors.Is(err, ErrSelfTest) {
			t.Fatalf("SelfTest = %v, want ErrSelfTest", err)
		}
	})
}

// TestCloseReleasesEverything: Close ends allocations, closes accepted TCP
// and TLS connections (pion's own Close does not), waits for every loop, and
// leaves no goroutine behind.
func TestCloseReleasesEverything(t *testing.T) {
	report := test.CheckRoutines(t)
	// In a subtest so that its cleanups (clients, sockets) run before report.
	t.Run("close", closeReleasesEverything)
	report()
}

func closeReleasesEverything(t *testing.T) {
	tlsCfg := selfSignedTLS(t)
	ts := startServer(t, allowLoopback)
	handoff := startHandoff(t, ts.Server, tlsCfg)
	for _, network := range []string{"udp", "tcp"} {
		u, p := Credentials(ts.secret, "closer-"+network, time.Hour, time.Now())
		if _, err := pionClient(t, network, map[string]netip.AddrPort{"udp": ts.udpAddr, "tcp": ts.tcpAddr}[network], u, p, "test.realm"); err != nil {
			t.Fatalf("allocate over %s: %v", network, err)
		}
	}
	idle, err := net.Dial("tcp4", ts.tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	tlsConn, err := tls.Dial("tcp4", netip.AddrPortFrom(loopback, uint16(handoff)).String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // self-signed test cert
	if err != nil {
		t.Fatal(err)
	}
	defer tlsConn.Close()
	if n := ts.Allocations(); n != 2 {
		t.Fatalf("allocations = %d, want 2", n)
	}

	if err := ts.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := ts.Allocations(); n != 0 {
		t.Errorf("allocations after Close = %d, want 0", n)
	}
	for name, c := range map[string]net.Conn{"tcp": idle, "tls": tlsConn} {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Errorf("%s connection after Close: read err %v, want EOF", name, err)
		}
	}
	late, peerEnd := net.Pipe()
	ts.HandleTLSConn(late)
	if _, err := peerEnd.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("conn handed over after Close: read err %v, want EOF (closed)", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

func TestConfigValidate(t *testing.T) {
	secrets := func() [][]byte { return [][]byte{[]byte("s")} }
	base := func() Config {
		return Config{Secrets: secrets, RelayIP: loopback, AllowedPeers: []netip.AddrPort{sfuMedia}}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{"minimal", func(*Config) {}, nil},
		{"no secrets func", func(c *Config) { c.Secrets = nil }, ErrNoSecrets},
		{"only empty secrets", func(c *Config) { c.Secrets = func() [][]byte { return [][]byte{nil} } }, ErrNoSecrets},
		{"no relay ip", func(c *Config) { c.RelayIP = netip.Addr{} }, ErrNoRelayIP},
		{"unspecified relay ip", func(c *Config) { c.RelayIP = netip.IPv4Unspecified() }, ErrNoRelayIP},
		{"ports reversed", func(c *Config) { c.RelayPortMin, c.RelayPortMax = 50000, 40000 }, ErrPortRange},
		{"port too big", func(c *Config) { c.RelayPortMin, c.RelayPortMax = 50000, 70000 }, ErrPortRange},
		{"no peers", func(c *Config) { c.AllowedPeers = nil }, ErrNoPeers},
		{"test peers only", func(c *Config) { c.AllowedPeers = nil; c.TestAllowPeerIPs = []netip.Addr{loopback} }, nil},
		{"peer port 0", func(c *Config) { c.AllowedPeers = []netip.AddrPort{netip.AddrPortFrom(loopback, 0)} }, ErrBadPeer},
		{"peer unspecified", func(c *Config) { c.AllowedPeers = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:7882")} }, ErrBadPeer},
		{"peer mapped unspecified", func(c *Config) { c.AllowedPeers = []netip.AddrPort{netip.MustParseAddrPort("[::ffff:0.0.0.0]:7882")} }, ErrBadPeer},
		{"peer multicast", func(c *Config) { c.AllowedPeers = []netip.AddrPort{netip.MustParseAddrPort("224.0.0.1:7882")} }, ErrBadPeer},
		{"test peer broadcast", func(c *Config) { c.TestAllowPeerIPs = []netip.Addr{netip.MustParseAddr("255.255.255.255")} }, ErrBadPeer},
		{"negative lifetime", func(c *Config) { c.AllocationLifetime = -time.Second }, ErrBadLimit},
		{"negative quota means unlimited", func(c *Config) { c.UserQuota, c.BandwidthBytesPerSecond = -1, -1 }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			if err := c.Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}
