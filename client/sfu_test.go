package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"conclave/client"
	"conclave/sfu"

	"github.com/pion/transport/v5/test"
)

// startSFU runs the real SFU behind a loopback HTTP server and returns its ws:// URL. Media
// uses one UDP socket on 127.0.0.1 and loopback host candidates only.
func startSFU(t *testing.T) string {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sfu.New(sfu.Config{Logger: testLogger(), UDPConn: udp,
		HostIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	if err != nil {
		_ = udp.Close()
		t.Fatalf("sfu.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", s.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("sfu close: %v", err)
		}
		srv.Close()
	})
	return "ws" + srv.URL[len("http"):] + "/ws"
}

// bot is a client under test and the recorder of its packets.
type bot struct {
	*client.Client
	rec *recorder
}

// joinBot joins a publishing bot; Close runs at cleanup (the test may close it earlier).
func joinBot(t *testing.T, url, room, name string) bot {
	t.Helper()
	rec := newRecorder()
	cfg := client.Config{URL: url, Room: room, Name: name, ICEIPFilter: loopbackOnly,
		Publish: client.Publish{Video: true, Audio: true}, Logger: testLogger().With("bot", name)}
	rec.hook(&cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Join(ctx, cfg)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return bot{Client: c, rec: rec}
}

// receivingAll reports whether every bot gets both kinds from every other bot.
func receivingAll(bots []bot) bool {
	for _, b := range bots {
		for _, o := range bots {
			if o.Client == b.Client {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				if b.Received(o.ParticipantID(), kind).Packets == 0 {
					return false
				}
			}
		}
	}
	return true
}

// everyVideo reports whether ok holds for the video every bot receives from every other.
func everyVideo(bots []bot, ok func(client.TrackStats) bool) bool {
	for _, b := range bots {
		for _, o := range bots {
			if o.Client != b.Client && !ok(b.Received(o.ParticipantID(), "video")) {
				return false
			}
		}
	}
	return true
}

// audioFromOthers lists, for every ordered pair of bots, the audio packets one got from the
// other.
func audioFromOthers(bots []bot) []uint64 {
	var out []uint64
	for _, b := range bots {
		for _, o := range bots {
			if o.Client != b.Client {
				out = append(out, b.Received(o.ParticipantID(), "audio").Packets)
			}
		}
	}
	return out
}

// TestThreeBots: each of three bots receives at least 99 % of the others' audio and video
// packets, with payloads byte-identical to what was sent.
func TestThreeBots(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	var bots []bot
	for _, name := range []string{"ada", "bob", "cy"} {
		bots = append(bots, joinBot(t, url, "three", name))
	}
	waitFor(t, 15*time.Second, "every bot receiving every other", func() bool { return receivingAll(bots) })
	for _, b := range bots[1:] {
		t.Logf("%s: join to first remote packet %v", b.ParticipantID(), b.Stats().JoinLatency)
	}
	// The clip is 640x360; a subscriber reads that from the key frames it gets (in clear here).
	waitFor(t, 10*time.Second, "a 640x360 key frame from every other bot", func() bool {
		return everyVideo(bots, func(st client.TrackStats) bool {
			return st.Width == 640 && st.Height == 360 && st.KeyFrames > 0
		})
	})
	// Measure over three seconds of audio (150 packets from each other bot), which spans a
	// video key frame.
	base := audioFromOthers(bots)
	waitFor(t, 15*time.Second, "three more seconds of media", func() bool {
		now := audioFromOthers(bots)
		for i := range now {
			if now[i] < base[i]+150 {
				return false
			}
		}
		return true
	})
	for _, b := range bots {
		_ = b.Close() // stop sending before comparing: nothing is in flight any more
	}
	for _, b := range bots {
		for _, o := range bots {
			if o.Client == b.Client {
				continue
			}
			for _, tr := range o.Published() {
				d := compare(o.rec.sentOn(tr.TrackID), b.rec.receivedOn(o.ParticipantID(), tr.TrackID),
					300*time.Millisecond, 300*time.Millisecond)
				t.Logf("%s from %s %s: %v", b.ParticipantID(), o.ParticipantID(), tr.Kind, d)
				if d.ratio() < 0.99 || d.window < 20 {
					t.Errorf("%s got %v of %s's %s, want >= 99%% of at least 20", b.ParticipantID(), d, o.ParticipantID(), tr.Kind)
				}
				if d.mismatch != 0 {
					t.Errorf("%s got %d altered %s payloads from %s, want byte-exact forwarding",
						b.ParticipantID(), d.mismatch, tr.Kind, o.ParticipantID())
				}
			}
		}
	}
}

// TestLeaveEndsTracks: when a bot leaves, its tracks end at the others and it leaves their
// roster; a bot joining afterwards is received by everyone.
func TestLeaveEndsTracks(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	bots := []bot{joinBot(t, url, "leave", "ada"), joinBot(t, url, "leave", "bob"), joinBot(t, url, "leave", "cy")}
	waitFor(t, 15*time.Second, "every bot receiving every other", func() bool { return receivingAll(bots) })
	leaver := bots[2]
	id := leaver.ParticipantID()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := leaver.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	for _, b := range bots[:2] {
		waitFor(t, 10*time.Second, b.ParticipantID()+" seeing "+id+"'s tracks end", func() bool {
			return b.Received(id, "audio").Ended && b.Received(id, "video").Ended
		})
		for _, p := range b.Participants() {
			if p.ID == id {
				t.Errorf("%s still lists %s after it left", b.ParticipantID(), id)
			}
		}
	}
	// The two who stayed still hear each other, and a newcomer (whose subscriptions may
	// reuse the transceivers of the leaver's) is seen and heard by all.
	before := bots[0].Received(bots[1].ParticipantID(), "audio").Packets
	waitFor(t, 5*time.Second, "media between the remaining bots", func() bool {
		return bots[0].Received(bots[1].ParticipantID(), "audio").Packets > before+10
	})
	bots[2] = joinBot(t, url, "leave", "dee")
	waitFor(t, 15*time.Second, "every bot receiving the newcomer", func() bool { return receivingAll(bots) })
}

// TestResumeKeepsIdentity: a bot that loses its socket and resumes within the window keeps
// its participant ID, and media flows both ways again on its new PeerConnection.
func TestResumeKeepsIdentity(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	ada, bob := joinBot(t, url, "resume", "ada"), joinBot(t, url, "resume", "bob")
	waitFor(t, 15*time.Second, "both bots receiving", func() bool { return receivingAll([]bot{ada, bob}) })
	id := bob.ParticipantID()
	bob.DropSocket()
	if err := bob.Relay("", map[string]int{"n": 1}); !errors.Is(err, client.ErrNotConnected) {
		t.Errorf("relay on a dropped socket: got %v, want ErrNotConnected", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := bob.Resume(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if got := bob.ParticipantID(); got != id {
		t.Fatalf("got participant %q after resume, want %q", got, id)
	}
	fromAda := bob.Received(ada.ParticipantID(), "video").Packets
	fromBob := ada.Received(id, "video").Packets
	waitFor(t, 15*time.Second, "video both ways after resume", func() bool {
		return bob.Received(ada.ParticipantID(), "video").Packets > fromAda &&
			ada.Received(id, "video").Packets > fromBob
	})
	t.Logf("resume to first video both ways: %v", time.Since(start))
	waitFor(t, 15*time.Second, "steady media both ways after resume", func() bool {
		return bob.Received(ada.ParticipantID(), "video").Packets > fromAda+20 &&
			ada.Received(id, "video").Packets > fromBob+20
	})
	t.Logf("resume to 20 video packets both ways: %v", time.Since(start))
}

// TestJoinRefused: a join the server refuses returns its error code as a *ServerError.
func TestJoinRefused(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	tests := []struct {
		name, room, user, wantCode string
	}{
		{"bad room", "no spaces!", "ada", "bad-room"},
		{"bad name", "ok", "\x01", "bad-name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Join(t.Context(), client.Config{URL: url, Room: tt.room, Name: tt.user,
				Logger: testLogger()})
			var se *client.ServerError
			if !errors.As(err, &se) || se.Code != tt.wantCode {
				if c != nil {
					_ = c.Close()
				}
				t.Fatalf("got %v, want a server error %s", err, tt.wantCode)
			}
		})
	}
}

// TestClosed: Close is idempotent, and a closed client refuses further work.
func TestClosed(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	b := joinBot(t, url, "closed", "ada")
	for i := range 2 {
		if err := b.Close(); err != nil {
			t.Fatalf("close %d: %v", i+1, err)
		}
	}
	if err := b.Relay("", 1); !errors.Is(err, client.ErrClosed) {
		t.Errorf("relay after close: got %v, want ErrClosed", err)
	}
	if err := b.Resume(t.Context()); !errors.Is(err, client.ErrClosed) {
		t.Errorf("resume after close: got %v, want ErrClosed", err)
	}
}
