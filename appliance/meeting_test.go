package appliance_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"conclave/client"
	"conclave/internal/testenv"
)

// loopbackOnly keeps bots' host candidates on loopback: no packet leaves
// the machine even outside a network namespace.
func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

// joinBot joins a publishing bot to the appliance over wss, trusting only
// the built-in CA. edit adjusts the config per test.
func joinBot(t *testing.T, a *testenv.Appliance, room, name string, edit func(*client.Config)) *client.Client {
	t.Helper()
	cfg := client.Config{
		URL:         strings.Replace(a.URL, "https://", "wss://", 1) + "/ws",
		TLSConfig:   &tls.Config{RootCAs: a.Roots},
		Room:        room,
		Name:        name,
		Publish:     client.Publish{Video: true, Audio: true},
		ICEIPFilter: loopbackOnly,
		Logger:      discardLogger(),
	}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, err := client.Join(ctx, cfg)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitMedia waits until every bot has received audio and video packets from
// every other bot.
func waitMedia(t *testing.T, bots ...*client.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		missing := ""
		for _, b := range bots {
			for _, o := range bots {
				if o == b {
					continue
				}
				for _, kind := range []string{"audio", "video"} {
					if b.Received(o.ParticipantID(), kind).Packets < 20 {
						missing = o.ParticipantID() + " " + kind + " at " + b.ParticipantID()
					}
				}
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no media after 20 s: %s", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBotsMeetThroughAppliance: two bots meet through the real appliance,
// signaling over wss verified against the built-in CA, media over the
// shared UDP port.
func TestBotsMeetThroughAppliance(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	alice := joinBot(t, a, "standup", "Alice", nil)
	bob := joinBot(t, a, "standup", "Bob", nil)
	waitMedia(t, alice, bob)
	t.Logf("join latency: alice %v, bob %v", alice.Stats().JoinLatency, bob.Stats().JoinLatency)
}

// TestBotOverICETCPOnTheTLSPort: a client on a network that blocks UDP
// reaches the SFU through ICE-TCP on the TLS port, via the demux.
func TestBotOverICETCPOnTheTLSPort(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	udp := joinBot(t, a, "school", "Teacher", nil)
	tcp := joinBot(t, a, "school", "Pupil", func(c *client.Config) {
		c.NetworkTypes = []webrtc.NetworkType{webrtc.NetworkTypeTCP4}
		c.ICEServers = []webrtc.ICEServer{} // no TURN: the only way in is ICE-TCP
	})
	waitMedia(t, udp, tcp)
	if m := metrics(t, a); !strings.Contains(m, `conclave_tls_port_connections_total{kind="ice_tcp"}`) {
		t.Errorf("no ICE-TCP connection counted on the TLS port:\n%s", grepLines(m, "tls_port"))
	}
}

// TestBotRelayedThroughTURN: a relay-only client on a network without UDP
// gets its TURN credentials with the welcome and reaches the SFU through
// the embedded TURN server, whose relay may reach only the SFU.
func TestBotRelayedThroughTURN(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	direct := joinBot(t, a, "relay", "Direct", nil)
	relayed := joinBot(t, a, "relay", "Relayed", func(c *client.Config) {
		c.RelayOnly = true
		c.NetworkTypes = []webrtc.NetworkType{webrtc.NetworkTypeTCP4} // as behind a firewall that drops UDP
	})
	waitMedia(t, direct, relayed)
	if n := metricValue(t, metrics(t, a), "conclave_turn_allocations"); n < 1 {
		t.Errorf("got %v live TURN allocations, want the relayed bot's", n)
	}
}
