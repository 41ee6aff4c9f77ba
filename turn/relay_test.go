package turn

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// fakeClock is a settable clock for bandwidth tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newTestRelay wraps a loopback socket as a relay that may talk only to sfu.
func newTestRelay(t *testing.T, sfu net.PacketConn, bandwidth int64, clock *fakeClock) (*relayConn, *metrics) {
	t.Helper()
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := newPeerPolicy([]netip.AddrPort{mustAddrPort(t, sfu.LocalAddr())}, nil, nil)
	released := 0
	rc := &relayConn{PacketConn: listenUDP(t), policy: policy, metrics: m, now: clock.now,
		out: newTokenBucket(bandwidth, clock.now()), in: newTokenBucket(bandwidth, clock.now()),
		release: func() { released++ }}
	t.Cleanup(func() {
		rc.Close()
		rc.Close()
		if released != 1 {
			t.Errorf("release called %d times, want 1", released)
		}
	})
	return rc, m
}

// readWithin reads one packet from c or returns nil after d.
func readWithin(t *testing.T, c net.PacketConn, d time.Duration) []byte {
	t.Helper()
	buf := make([]byte, 2048)
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	n, _, err := c.ReadFrom(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// TestRelayConnPortFilter: a relay with a permission for the SFU's IP still
// reaches only the SFU's port, and hears only from it (TESTPLAN fact 4).
// Loopback UDP delivers within sendto, so once a later packet has arrived an
// earlier one that was not delivered never will be.
func TestRelayConnPortFilter(t *testing.T) {
	sfu, other := listenUDP(t), listenUDP(t) // same IP, different ports
	clock := &fakeClock{t: time.Now()}
	rc, m := newTestRelay(t, sfu, -1, clock)

	if n, err := rc.WriteTo([]byte("to-other"), other.LocalAddr()); err != nil || n != 8 {
		t.Fatalf("WriteTo other = %d, %v; want silent drop (8, nil)", n, err)
	}
	if _, err := rc.WriteTo([]byte("to-sfu"), sfu.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got := readWithin(t, sfu, 2*time.Second); !bytes.Equal(got, []byte("to-sfu")) {
		t.Fatalf("sfu got %q, want to-sfu", got)
	}
	if got := readWithin(t, other, 10*time.Millisecond); got != nil {
		t.Fatalf("other port got %q through the relay", got)
	}

	// Inbound: the other port's packet is dropped, the SFU's returned.
	if _, err := other.WriteTo([]byte("from-other"), rc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := sfu.WriteTo([]byte("from-sfu"), rc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := rc.ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("from-sfu")) || from.String() != sfu.LocalAddr().String() {
		t.Fatalf("ReadFrom = %q from %v, %v; want from-sfu from %v", buf[:n], from, err, sfu.LocalAddr())
	}
	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"peer_port denials", counterValue(m.deniedPort), 1},
		{"peer_source denials", counterValue(m.deniedSource), 1},
		{"bytes to peer", counterValue(m.bytesToPeer), 6},
		{"bytes to client", counterValue(m.bytesToClient), 8},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestRelayConnBandwidth: with a 1000 B/s cap the bucket holds one second;
// packets beyond it are dropped until time refills it.
func TestRelayConnBandwidth(t *testing.T) {
	sfu := listenUDP(t)
	clock := &fakeClock{t: time.Now()}
	rc, m := newTestRelay(t, sfu, 1000, clock)
	payload := make([]byte, 200)
	send := func(k int) {
		for range k {
			if _, err := rc.WriteTo(payload, sfu.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(10) // 2000 bytes at one instant: 5 fit
	clock.advance(500 * time.Millisecond)
	send(10) // 500 bytes refilled: 2 more fit
	if got := counterValue(m.packetsToPeer); got != 7 {
		t.Fatalf("packets sent = %v, want 7", got)
	}
	if got := counterValue(m.deniedBandwidth); got != 13 {
		t.Fatalf("bandwidth drops = %v, want 13", got)
	}
	for i := range 7 {
		if readWithin(t, sfu, 2*time.Second) == nil {
			t.Fatalf("sfu received %d packets, want 7", i)
		}
	}
}

type bucketStep struct {
	at   time.Duration
	n    int
	want bool
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name  string
		rate  int64
		steps []bucketStep
	}{
		{"unlimited", -1, []bucketStep{{0, 1 << 30, true}, {0, 1 << 30, true}}},
		{"burst then refill", 100, []bucketStep{{0, 100, true}, {0, 1, false}, {100 * time.Millisecond, 10, true}, {100 * time.Millisecond, 1, false},
			{10 * time.Second, 100, true}, {10 * time.Second, 1, false}}},
		{"packet larger than burst", 100, []bucketStep{{0, 101, false}, {0, 100, true}}},
		{"clock going back", 100, []bucketStep{{time.Second, 100, true}, {0, 1, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTokenBucket(tt.rate, t0)
			for i, s := range tt.steps {
				if got := b.allow(s.n, t0.Add(s.at)); got != s.want {
					t.Fatalf("step %d: allow(%d at %s) = %v, want %v", i, s.n, s.at, got, s.want)
				}
			}
		})
	}
}

// TestRelayGenerator: relay ports stay in range even when a client asks for
// one (EVEN-PORT, RESERVATION-TOKEN), and TCP relay is refused.
func TestRelayGenerator(t *testing.T) {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	lo := 50000 + int(time.Now().UnixNano()%10000)
	released := 0
	g := &relayGenerator{
		inner: &pionturn.RelayAddressGeneratorPortRange{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1",
			MinPort: uint16(lo), MaxPort: uint16(lo + 9)},
		policy: newPeerPolicy([]netip.AddrPort{sfuMedia}, nil, nil), metrics: m, bandwidth: -1, now: time.Now,
		track: func() (func(), bool) { return func() { released++ }, true },
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		requested int
		wantErr   error
	}{
		{"random", 0, nil},
		{"requested in range", lo + 5, nil},
		{"requested below", lo - 1, ErrRelayPort},
		{"requested above", lo + 10, ErrRelayPort},
		{"privileged", 22, ErrRelayPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, addr, err := g.AllocatePacketConn(pionturn.AllocateListenerConfig{Network: "udp4", RequestedPort: tt.requested})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer conn.Close()
			p := addr.(*net.UDPAddr).Port
			if p < lo || p > lo+9 || (tt.requested != 0 && p != tt.requested) {
				t.Fatalf("relay port %d, want in %d-%d (requested %d)", p, lo, lo+9, tt.requested)
			}
		})
	}
	if released != 2 {
		t.Errorf("released %d relay sockets, want 2", released)
	}
	if _, _, err := g.AllocateListener(pionturn.AllocateListenerConfig{Network: "tcp4"}); !errors.Is(err, ErrTCPRelayDisabled) {
		t.Errorf("AllocateListener err = %v, want ErrTCPRelayDisabled", err)
	}
	if _, err := g.AllocateConn(pionturn.AllocateConnConfig{Network: "tcp4"}); !errors.Is(err, ErrTCPRelayDisabled) {
		t.Errorf("AllocateConn err = %v, want ErrTCPRelayDisabled", err)
	}
	if got := counterValue(m.denials.WithLabelValues("relay_port")); got != 3 {
		t.Errorf("denials{relay_port} = %v, want 3", got)
	}
}
