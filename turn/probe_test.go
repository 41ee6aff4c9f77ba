package turn

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// channelNumber is CHANNEL-NUMBER 0x4000 (RFC 8656 section 18.1).
var channelNumber = stun.RawAttribute{Type: stun.AttrChannelNumber, Value: []byte{0x40, 0x00, 0, 0}}

// TestMappedPeerProbe is the T6 raw-STUN probe (TESTPLAN fact 2): an
// IPv6-family XOR-PEER-ADDRESS ::ffff:127.0.0.1 on an IPv4 allocation. In
// production mode it gets 403 and nothing is relayed for 3 s. The control
// run allows 127.0.0.1 and shows the same probe is relayed and echoed, so
// the refusal is our policy and not a malformed probe.
func TestMappedPeerProbe(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		allowed bool
	}{
		{"production", func(c *Config) { c.AllowedPeers = []netip.AddrPort{sfuMedia} }, false},
		{"control allows loopback", allowLoopback, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.edit)
			peer := listenUDP(t)
			u, p := Credentials(ts.secret, "mallory", time.Hour, time.Now())
			c := newRawClient(t, net.UDPAddrFromAddrPort(ts.udpAddr), u, p)
			relayed := c.allocate()
			mapped := xorPeer{family: 0x02, ip: net.ParseIP("::ffff:127.0.0.1"),
				port: uint16(peer.LocalAddr().(*net.UDPAddr).Port)}

			perm := errorCode(c.request(stun.MethodCreatePermission, mapped))
			bind := errorCode(c.request(stun.MethodChannelBind, channelNumber, mapped))
			c.send(mapped, []byte("probe"))
			if !tt.allowed {
				wantNothingRelayed(t, c, peer, perm, bind)
				if got := counterValue(ts.metrics.denials.WithLabelValues("peer_loopback")); got < 2 {
					t.Errorf("denials{peer_loopback} = %v, want >= 2", got)
				}
				return
			}
			if perm != 0 || bind != 0 {
				t.Fatalf("control: CreatePermission %d, ChannelBind %d; want success", perm, bind)
			}
			if got := readWithin(t, peer, 3*time.Second); !bytes.Equal(got, []byte("probe")) {
				t.Fatalf("control: peer got %q, want probe", got)
			}
			if _, err := peer.WriteTo([]byte("echo"), relayed); err != nil {
				t.Fatal(err)
			}
			c.read(time.Second)
			select {
			case got := <-c.data:
				if !bytes.Equal(got, []byte("echo")) {
					t.Fatalf("control: relayed %q, want echo", got)
				}
			default:
				t.Fatal("control: echo not relayed back")
			}
		})
	}
}

// wantNothingRelayed asserts the refusals and that, for 3 s, neither the peer
// got a packet nor the client a Data indication.
func wantNothingRelayed(t *testing.T, c *rawClient, peer net.PacketConn, perm, bind stun.ErrorCode) {
	t.Helper()
	if perm != stun.CodeForbidden {
		t.Errorf("CreatePermission: code %d, want 403", perm)
	}
	if bind == 0 { // pion v5.1.3 answers 401 here (TESTPLAN fact 5)
		t.Errorf("ChannelBind succeeded, want refusal")
	}
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 1600)
		_ = peer.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := peer.ReadFrom(buf)
		if err != nil {
			got <- nil
			return
		}
		got <- buf[:n]
	}()
	if m := c.read(3 * time.Second); m != nil {
		t.Errorf("unexpected message %v", m.Type)
	}
	if p := <-got; p != nil {
		t.Errorf("peer received %q", p)
	}
	select {
	case d := <-c.data:
		t.Errorf("client received Data indication %q", d)
	default:
	}
}

// TestExpiredCredentialKeepsAllocation: expiry is checked on Allocate only,
// so a meeting outlasting its credential keeps its relay (Refresh,
// CreatePermission, ChannelBind, Send), while a new Allocate is refused.
func TestExpiredCredentialKeepsAllocation(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	sfu := listenUDP(t)
	sfuAddr := mustAddrPort(t, sfu.LocalAddr())
	ts := startServer(t, func(c *Config) {
		c.Now = clock.now
		c.AllowedPeers = []netip.AddrPort{sfuAddr}
	})
	u, p := Credentials(ts.secret, "longmeeting", time.Minute, clock.now())
	c := newRawClient(t, net.UDPAddrFromAddrPort(ts.udpAddr), u, p)
	c.allocate()
	clock.advance(2 * time.Hour)

	peer := xorPeer{family: 0x01, ip: sfuAddr.Addr().AsSlice(), port: sfuAddr.Port()}
	lifetime := stun.RawAttribute{Type: stun.AttrLifetime, Value: []byte{0, 0, 0x02, 0x58}} // 600 s
	steps := []struct {
		name string
		code stun.ErrorCode
	}{
		{"Refresh", errorCode(c.request(stun.MethodRefresh, lifetime))},
		{"CreatePermission", errorCode(c.request(stun.MethodCreatePermission, peer))},
		{"ChannelBind", errorCode(c.request(stun.MethodChannelBind, channelNumber, peer))},
	}
	for _, s := range steps {
		if s.code != 0 {
			t.Errorf("%s with expired username: code %d, want success", s.name, s.code)
		}
	}
	c.send(peer, []byte("still here"))
	if got := readWithin(t, sfu, 2*time.Second); !bytes.Equal(got, []byte("still here")) {
		t.Errorf("sfu got %q, want the Send payload", got)
	}
	again := newRawClient(t, net.UDPAddrFromAddrPort(ts.udpAddr), u, p)
	if code := errorCode(again.request(stun.MethodAllocate, requestedUDP)); code != stun.CodeUnauthorized {
		t.Errorf("new Allocate with expired username: code %d, want 401", code)
	}
	if got := counterValue(ts.metrics.authFailures.WithLabelValues(authExpired)); got != 1 {
		t.Errorf("auth failures{expired} = %v, want 1", got)
	}
}
