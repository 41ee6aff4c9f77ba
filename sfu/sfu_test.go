package sfu

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/transport/v5/test"
	"github.com/pion/webrtc/v4"
)

func TestConfigValidate(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	good := Config{Logger: slog.New(slog.DiscardHandler), UDPConn: conn}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none = valid
	}{
		{"minimal", func(*Config) {}, nil},
		{"no logger, no socket", func(c *Config) { c.Logger, c.UDPConn = nil, nil }, []string{"Logger", "UDPConn"}},
		{"bad public IP", func(c *Config) { c.NAT1To1IPs = []string{"203.0.113.7", "example.org"} }, []string{`"example.org"`}},
		{"unspecified host IP", func(c *Config) { c.HostIPs = []netip.Addr{netip.IPv4Unspecified()} }, []string{"HostIPs"}},
		{"negative limits", func(c *Config) { c.MaxParticipants, c.ResumeWindow = -1, -time.Second },
			[]string{"MaxParticipants", "ResumeWindow"}},
		{"message limit below an SDP", func(c *Config) { c.MaxMessageBytes = 100 }, []string{"MaxMessageBytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestListenAddrs(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		name  string
		bound string
		hosts []netip.Addr
		want  []string
	}{
		{"loopback only", "127.0.0.1", []netip.Addr{ip("127.0.0.1")}, []string{"127.0.0.1:7882"}},
		{"loopback dropped next to a LAN address", "0.0.0.0", []netip.Addr{ip("127.0.0.1"), ip("192.0.2.10")}, []string{"192.0.2.10:7882"}},
		{"IPv4 socket cannot serve IPv6", "0.0.0.0", []netip.Addr{ip("192.0.2.10"), ip("2001:db8::1")}, []string{"192.0.2.10:7882"}},
		{"dual-stack socket serves both", "::", []netip.Addr{ip("192.0.2.10"), ip("2001:db8::1")}, []string{"192.0.2.10:7882", "[2001:db8::1]:7882"}},
		{"socket bound elsewhere", "192.0.2.99", []netip.Addr{ip("192.0.2.10")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := listenAddrs(&net.UDPAddr{IP: net.ParseIP(tc.bound), Port: 7882}, tc.hosts)
			var s []string
			for _, a := range got {
				s = append(s, a.String())
			}
			if strings.Join(s, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", s, tc.want)
			}
		})
	}
}

func TestCloseTellsClientsAndStopsEverything(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	s, url := newTestSFU(t, Config{})
	peers := []*testPeer{dialPeer(t, url, "bye", "ada", ""), dialPeer(t, url, "bye", "bob", "")}
	for _, p := range peers {
		p.publish()
	}
	waitFlowing(t, peers)
	if got := len(s.Rooms()); got != 1 {
		t.Fatalf("%d rooms, want 1", got)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	t.Logf("Close took %v", time.Since(start))
	for _, p := range peers {
		<-p.closed
		if got := websocket.CloseStatus(p.endErr); got != websocket.StatusGoingAway {
			t.Errorf("%s: socket ended with %v (%v), want 1001", p.name, got, p.endErr)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if got := len(s.Rooms()); got != 0 {
		t.Errorf("%d rooms after close, want 0", got)
	}
	for name, g := range map[string]float64{"participants": counterValue(t, s.metrics.participants),
		"rooms": counterValue(t, s.metrics.rooms), "up tracks": counterValue(t, s.metrics.upTracks),
		"down tracks": counterValue(t, s.metrics.downTracks)} {
		if g != 0 {
			t.Errorf("%s gauge %v after close, want 0", name, g)
		}
	}
	c, _, err := websocket.Dial(t.Context(), url, nil)
	if err == nil {
		_ = c.CloseNow()
		t.Errorf("a closed SFU accepted a socket")
	}
}

func TestRoomsSnapshotAndRelay(t *testing.T) {
	s, url := newTestSFU(t, Config{})
	ada := dialPeer(t, url, "snap", "ada", "")
	ada.publish()
	bob := dialPeer(t, url, "snap", "bob", "")
	cy := dialPeer(t, url, "snap", "cy", "")
	waitReceiving(t, []*testPeer{bob, cy}, []*testPeer{ada})
	eventually(t, 5*time.Second, "ada's tracks in the snapshot", func() bool {
		rooms := s.Rooms()
		return len(rooms) == 1 && len(rooms[0].Participants) == 3 && tracksOf(rooms[0], ada.id) == 2
	})

	// Relay: data passes unchanged, to one or to all others.
	data := `{"kid":7,"blob":"AAEC","nested":[true,null,1.5e3]}`
	ada.sendRaw([]byte(`{"type":"relay","to":"` + bob.id + `","data":` + data + `}`))
	m := bob.waitEvent(5*time.Second, "relay to bob", func(m serverMsg) bool { return m.Type == "relay" })
	if m.From != ada.id || string(m.Data) != data {
		t.Errorf("bob got relay from %s data %s, want from %s data %s", m.From, m.Data, ada.id, data)
	}
	ada.sendRaw([]byte(`{"type":"relay","data":"to all"}`))
	for _, p := range []*testPeer{bob, cy} {
		p.waitEvent(5*time.Second, "relay to all", func(m serverMsg) bool {
			return m.Type == "relay" && string(m.Data) == `"to all"`
		})
	}

	// Relay with each: every recipient gets its own datum.
	ada.sendRaw([]byte(`{"type":"relay","each":{"` + bob.id + `":"for bob","` + cy.id + `":{"for":"cy"},"p_gone":1}}`))
	for p, want := range map[*testPeer]string{bob: `"for bob"`, cy: `{"for":"cy"}`} {
		p.waitEvent(5*time.Second, "relay each "+want, func(m serverMsg) bool {
			return m.Type == "relay" && m.From == ada.id && string(m.Data) == want
		})
	}

	// Mute: announced to the others and kept in the snapshot.
	ada.sendJSON(map[string]any{"type": "mute", "trackId": "audio-ada", "muted": true})
	cy.waitEvent(5*time.Second, "mute", func(m serverMsg) bool {
		return m.Type == "mute" && m.ParticipantID == ada.id && m.TrackID == "audio-ada"
	})
	var raw struct {
		Participants []ParticipantInfo `json:"participants"`
	}
	b, _ := json.Marshal(s.Rooms()[0])
	_ = json.Unmarshal(b, &raw)
	for _, p := range raw.Participants {
		for _, tr := range p.Tracks {
			if tr.TrackID == "audio-ada" && !tr.Muted {
				t.Errorf("snapshot shows audio-ada unmuted")
			}
		}
	}

	// Unpublish: the others are told and their copy ends.
	ada.sendJSON(map[string]any{"type": "unpublish", "trackId": "video-ada"})
	bob.waitEvent(5*time.Second, "track-unpublished", func(m serverMsg) bool {
		return m.Type == "track-unpublished" && m.TrackID == "video-ada"
	})
	select {
	case <-bob.track(ada.id, "video-ada").ended:
	case <-time.After(5 * time.Second):
		t.Errorf("bob's copy of video-ada did not end")
	}
}

func tracksOf(r RoomInfo, id string) int {
	for _, p := range r.Participants {
		if p.ID == id {
			return len(p.Tracks)
		}
	}
	return -1
}

func TestICERestart(t *testing.T) {
	_, url := newTestSFU(t, Config{})
	peers := []*testPeer{dialPeer(t, url, "restart", "ada", ""), dialPeer(t, url, "restart", "bob", "")}
	for _, p := range peers {
		p.publish()
	}
	waitFlowing(t, peers)
	ada := peers[0]
	before := ada.pc.LocalDescription()
	ada.do(func() {
		offer, err := ada.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
		if err != nil {
			t.Errorf("restart offer: %v", err)
			return
		}
		ada.offer = &offer
		ada.sendJSON(map[string]any{"type": "offer", "sdp": offer.SDP})
	})
	eventually(t, 5*time.Second, "restart answered", func() bool {
		var done bool
		ada.do(func() { done = ada.offer == nil && ada.pc.LocalDescription() != before })
		return done
	})
	// Media resumes on the new ICE generation. Packets in flight while the
	// old pair is dropped may be lost, and under load that can be after
	// the answer, so a window whose five packets did not all come is
	// given up for a newer one once half a second (25 packets) has passed.
	fresh := window(peers)
	audio := func(p *testPeer) *testSource { return p.sent[1] }
	eventually(t, 15*time.Second, "media after the restart", func() bool {
		if peers[0].track(peers[1].id, "audio-bob").count(fresh[audio(peers[1])], fresh[audio(peers[1])]+5) == 5 &&
			peers[1].track(peers[0].id, "audio-ada").count(fresh[audio(peers[0])], fresh[audio(peers[0])]+5) == 5 {
			return true
		}
		now := window(peers)
		if now[audio(peers[0])]-fresh[audio(peers[0])] > 25 && now[audio(peers[1])]-fresh[audio(peers[1])] > 25 {
			fresh = now
		}
		return false
	})
	from := window(peers)
	time.Sleep(time.Second)
	checkDelivery(t, peers, from, 0.99)
}

// TestICETCP: a client that can only use TCP reaches the SFU through
// Config.TCPListener (in the appliance, the RFC 4571 branch of the TLS-port
// demux) and exchanges media with a UDP client.
func TestICETCP(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, url := newTestSFU(t, Config{TCPListener: ln})
	tcpOnly := dialPeerWith(t, testAPI(t, webrtc.NetworkTypeTCP4), url, "tcp", "ada", "")
	udp := dialPeer(t, url, "tcp", "bob", "")
	peers := []*testPeer{tcpOnly, udp}
	for _, p := range peers {
		p.publish()
	}
	waitFlowing(t, peers)
	// While ICE settles on a TCP pair, the first packets can be lost (pion
	// may write on pairs it then drops); count from half a second in.
	eventually(t, 10*time.Second, "half a second of audio", func() bool {
		a, b := tcpOnly.track(udp.id, "audio-bob"), udp.track(tcpOnly.id, "audio-ada")
		return a.count(0, 0xffff) >= 25 && b.count(0, 0xffff) >= 25
	})
	pair, err := tcpOnly.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected pair: %v", err)
	}
	if pair.Local.Protocol != webrtc.ICEProtocolTCP || pair.Remote.Port != uint16(ln.Addr().(*net.TCPAddr).Port) {
		t.Errorf("selected pair %s, want TCP to the listener's port", pair)
	}
	from := window(peers)
	time.Sleep(time.Second)
	checkDelivery(t, peers, from, 0.99)
}
