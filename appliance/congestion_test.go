package appliance_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"conclave/appliance"
	"conclave/client"
	"conclave/internal/netlab"
	"conclave/internal/testenv"
)

// Limits of the congestion test (issue #8): how soon the constrained
// subscriber must be on a lower encoding, how long it is watched after the
// switch, how many frames it must decrypt meanwhile (80 % of the clip's 15
// a second), and the longest it may go without one. Right after the switch
// a frame can wait for a retransmission through the full queue; the gap was
// 0.3–1.4 s on a quiet machine and 2.0 s once in CI, with every frame
// still arriving.
const (
	congestionKbit      = 500
	congestionSwitchBy  = 10 * time.Second
	congestionWatch     = 5 * time.Second
	congestionMinFrames = 60
	congestionMaxGap    = 3 * time.Second
)

// TestCongestionLowerLayer runs the appliance and a simulcast publisher in
// namespace A, an unconstrained subscriber S1 beside them and a subscriber
// S2 in namespace B behind a veth, all E2EE and each showing the video in a
// 640x360 tile. Unshaped, both receive the full 640-wide encoding. Then A's
// downlink to B is limited to 500 kbit/s: within 10 s S2 must be switched
// to a lower encoding and keep decoding it (frames and key frames arriving,
// no decryption failure, no gap over 2 s), while S1 stays on 640.
func TestCongestionLowerLayer(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	ap := startInLab(t, l)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	join := func(side netlab.Side, name string, pub client.Publish) *client.Client {
		return joinInLab(t, l, ap, side, name, pub, secret)
	}
	pub := join(netlab.A, "publisher", client.Publish{Video: true, Audio: true, Simulcast: true})
	s1 := join(netlab.A, "s1", client.Publish{})
	s2 := join(netlab.B, "s2", client.Publish{})
	subs := []*client.Client{s1, s2}
	for _, s := range subs {
		showVideo(t, s, pub.ParticipantID(), 640, 360)
	}
	for _, s := range subs {
		waitWidth(t, s, pub.ParticipantID(), func(w int) bool { return w == 640 }, 20*time.Second)
	}

	if err := l.Shape(congestionKbit); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w := newWatch(pub.ParticipantID(), s1, s2)
	if !w.until(t, func() bool { return w.lowered() }, congestionSwitchBy) {
		t.Fatalf("S2 still at width %d %v after the link went down to %d kbit/s",
			w.last(s2).Width, congestionSwitchBy, congestionKbit)
	}
	switched := time.Since(start)
	before := w.last(s2)
	w.until(t, func() bool { return false }, congestionWatch)
	after := w.last(s2)
	t.Logf("S2 on width %d after %v; then in %v: %d frames decrypted, %d key frames, longest gap %v; "+
		"S1 on width %d, longest gap %v", after.Width, switched.Round(time.Millisecond), congestionWatch,
		after.Decrypted-before.Decrypted, after.KeyFrames-before.KeyFrames, w.gap[s2].Round(time.Millisecond),
		w.last(s1).Width, w.gap[s1].Round(time.Millisecond))
	w.check(t, before)
}

// watch samples both subscribers' view of the publisher's video every
// 100 ms and keeps what the checks need.
type watch struct {
	pubID  string
	s1, s2 *client.Client
	stats  map[*client.Client]client.TrackStats
	lastUp map[*client.Client]time.Time     // when Decrypted last grew
	gap    map[*client.Client]time.Duration // longest time it did not
	s1Off  int                              // a width S1 was seen on other than 640
}

func newWatch(pubID string, s1, s2 *client.Client) *watch {
	w := &watch{pubID: pubID, s1: s1, s2: s2, stats: map[*client.Client]client.TrackStats{},
		lastUp: map[*client.Client]time.Time{}, gap: map[*client.Client]time.Duration{}}
	now := time.Now()
	for _, c := range []*client.Client{s1, s2} {
		w.stats[c], w.lastUp[c] = c.Received(pubID, "video"), now
	}
	return w
}

// until samples until done returns true (true) or d passes (false).
func (w *watch) until(t *testing.T, done func() bool, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-t.Context().Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
		w.sample()
		if done() {
			return true
		}
	}
	return false
}

func (w *watch) sample() {
	now := time.Now()
	for _, c := range []*client.Client{w.s1, w.s2} {
		st := c.Received(w.pubID, "video")
		if st.Decrypted > w.stats[c].Decrypted {
			w.lastUp[c] = now
		}
		w.gap[c] = max(w.gap[c], now.Sub(w.lastUp[c]))
		w.stats[c] = st
		if c == w.s1 && st.Width != 640 {
			w.s1Off = st.Width
		}
	}
}

func (w *watch) last(c *client.Client) client.TrackStats { return w.stats[c] }

// lowered reports S2 on the half or quarter encoding.
func (w *watch) lowered() bool {
	width := w.stats[w.s2].Width
	return width == 320 || width == 160
}

// check fails on what must hold over the whole run after the limit: S2
// decoding a lower encoding with key frames since the switch (before),
// S1 untouched, nobody failing to decrypt, no long gap.
func (w *watch) check(t *testing.T, before client.TrackStats) {
	t.Helper()
	s2 := w.stats[w.s2]
	if !w.lowered() {
		t.Errorf("S2 went back to width %d under the limit", s2.Width)
	}
	// The clips have a key frame every 2 s, so the watch sees at least two.
	if s2.Decrypted < before.Decrypted+congestionMinFrames || s2.KeyFrames <= before.KeyFrames {
		t.Errorf("S2 did not keep decoding after the switch: %d → %d frames (want %d more), %d → %d key frames",
			before.Decrypted, s2.Decrypted, congestionMinFrames, before.KeyFrames, s2.KeyFrames)
	}
	if w.s1Off != 0 {
		t.Errorf("S1, unconstrained, was switched to width %d", w.s1Off)
	}
	for name, c := range map[string]*client.Client{"S1": w.s1, "S2": w.s2} {
		if st := w.stats[c]; st.DecryptFailures != 0 {
			t.Errorf("%s: %d frames failed to decrypt", name, st.DecryptFailures)
		}
		if w.gap[c] > congestionMaxGap {
			t.Errorf("%s went %v without a decrypted frame (at most %v)", name, w.gap[c], congestionMaxGap)
		}
	}
}

// showVideo waits until c knows the publisher's video track (from the room
// state: the server sends no video before a tile is reported) and reports
// a tile of width x height for it.
func showVideo(t *testing.T, c *client.Client, pubID string, width, height int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, p := range c.Participants() {
			for _, tr := range p.Tracks {
				if p.ID != pubID || tr.Kind != "video" {
					continue
				}
				if err := c.SetVideoSize(tr.TrackID, width, height); err != nil {
					t.Fatalf("video size: %v", err)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the publisher's video track not announced after 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitWidth waits until the width of the publisher's video at c passes ok.
func waitWidth(t *testing.T, c *client.Client, pubID string, ok func(int) bool, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st := c.Received(pubID, "video")
		if ok(st.Width) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: video width %d after %v (%d packets, %d key frames)",
				c.ParticipantID(), st.Width, d, st.Packets, st.KeyFrames)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startInLab starts the appliance with every listener on the lab's address
// in namespace A (none on loopback, none in the test's own namespace) and
// waits until it answers /healthz from A.
func startInLab(t *testing.T, l *netlab.Lab) *labAppliance {
	t.Helper()
	cfg := testenv.LoopbackConfig(t.TempDir())
	host := l.AddrA.String()
	cfg.HTTPSAddr, cfg.TURNAddr, cfg.MediaUDPAddr = host+":0", host+":0", host+":0"
	cfg.HTTPAddr, cfg.MetricsAddr = "off", "off"
	logs := &testenv.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var a *appliance.Appliance
	err := l.In(netlab.A, func() (err error) { // binds every socket it will use
		a, err = appliance.New(t.Context(), cfg, logger, io.Discard)
		return err
	})
	if err != nil {
		t.Fatalf("start appliance in A: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("appliance stopped with error: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("appliance did not stop within 20 s")
		}
		if t.Failed() {
			t.Logf("appliance log:\n%s", logs.String())
		}
	})
	la := &labAppliance{url: "https://" + a.HTTPSAddr().String(), roots: x509.NewCertPool()}
	if !la.roots.AppendCertsFromPEM(a.RootPEM()) {
		t.Fatal("built-in CA root is not valid PEM")
	}
	la.waitHealthy(t, l.Net(netlab.A))
	return la
}

// labAppliance is what clients need of the appliance in the lab.
type labAppliance struct {
	url   string // https://10.213.0.1:PORT
	roots *x509.CertPool
}

func (la *labAppliance) waitHealthy(t *testing.T, n *netlab.Net) {
	t.Helper()
	tr := &http.Transport{DialContext: n.DialContext, TLSClientConfig: &tls.Config{RootCAs: la.roots}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := hc.Get(la.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("appliance not healthy from A after 10 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// joinInLab joins a bot from namespace side: its signaling and media
// sockets are there, it offers only its veth address, and it uses no TURN
// (the relay's sockets would open in the test's own namespace).
func joinInLab(t *testing.T, l *netlab.Lab, la *labAppliance, side netlab.Side, name string,
	pub client.Publish, secret []byte) *client.Client {
	t.Helper()
	own := map[netlab.Side]netip.Addr{netlab.A: l.AddrA, netlab.B: l.AddrB}[side]
	cfg := client.Config{
		URL:        "wss" + la.url[len("https"):] + "/ws",
		TLSConfig:  &tls.Config{RootCAs: la.roots},
		Room:       "congestion",
		Name:       name,
		Publish:    pub,
		Secret:     secret,
		Net:        l.Net(side),
		ICEServers: []webrtc.ICEServer{},
		ICEIPFilter: func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && a.Unmap() == own
		},
		NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4},
		Logger:       discardLogger(),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, err := client.Join(ctx, cfg)
	if err != nil {
		t.Fatalf("join %s from %s: %v", name, side, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
