package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"conclave/client"

	"github.com/pion/transport/v5/test"
)

// joinRID joins a client that publishes video (simulcast when asked) and audio to r.
func joinRID(t *testing.T, r *ridServer, simulcast bool) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Join(ctx, client.Config{URL: r.url(), Room: "sim", Name: "bot",
		Publish:     client.Publish{Video: true, Audio: true, Simulcast: simulcast},
		ICEIPFilter: loopbackOnly, Logger: testLogger()})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// videoID returns the ID of the client's published video track.
func videoID(t *testing.T, c *client.Client) string {
	t.Helper()
	for _, p := range c.Published() {
		if p.Kind == "video" {
			return p.TrackID
		}
	}
	t.Fatal("no published video")
	return ""
}

// TestSimulcastOffer: with the server's "simulcast" feature the offer carries the three
// encodings (RID lines, the simulcast attribute, the MID and RID header extensions) and the
// server's pion receives each encoding as its own RID; without it, one plain encoding.
func TestSimulcastOffer(t *testing.T) {
	simLines := []string{"a=simulcast:send q;h;f", "a=rid:q send", "a=rid:h send", "a=rid:f send",
		"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", "urn:ietf:params:rtp-hdrext:sdes:mid"}
	tests := []struct {
		name     string
		features []string
		rids     []string // the video streams the server must receive
		sim      bool     // the offer has simLines[:4]
	}{
		{"server with simulcast", []string{"video-size", "simulcast"}, []string{"q", "h", "f"}, true},
		{"server without simulcast", []string{"video-size"}, []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(test.CheckRoutines(t))
			r := newRIDServer(t, tt.features...)
			c := joinRID(t, r, true)
			waitFor(t, 15*time.Second, "video on every encoding and audio", func() bool {
				for _, rid := range tt.rids {
					if r.counters(rid, "video").frames == 0 {
						return false
					}
				}
				return r.counters("", "audio").packets > 0
			})
			offer := r.firstOffer()
			for i, line := range simLines {
				want := tt.sim || i >= 4 // the extensions are offered either way
				if got := strings.Contains(offer, line); got != want {
					t.Errorf("offer has %q: %v, want %v\n%s", line, got, want, offer)
				}
			}
			for _, rid := range tt.rids {
				if cs := r.counters(rid, "video"); !cs.firstKey {
					t.Errorf("rid %q: first frame is not a key frame", rid)
				}
			}
			if got := len(c.Published()); got != 2 {
				t.Errorf("got %d published tracks, want 2 (one video, one audio)", got)
			}
			want := []string{"q", "h", "f"}
			if !tt.sim {
				want = nil
			}
			if got := c.ActiveLayers(videoID(t, c)); !slices.Equal(got, want) {
				t.Errorf("active layers %q, want %q", got, want)
			}
		})
	}
}

// TestSimulcastLayers: encodings the server's `layers` leaves out stop sending; one listed
// again restarts with a key frame; the others go on.
func TestSimulcastLayers(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	r := newRIDServer(t, "video-size", "simulcast")
	c := joinRID(t, r, true)
	id := videoID(t, c)
	waitFor(t, 15*time.Second, "all three encodings", func() bool {
		return r.counters("q", "video").frames > 0 && r.counters("h", "video").frames > 0 &&
			r.counters("f", "video").frames > 0
	})
	setLayers := func(active ...string) {
		r.sendToClient(map[string]any{"type": "layers", "trackId": id, "active": active})
		waitFor(t, 5*time.Second, "the client to apply layers", func() bool {
			return slices.Equal(c.ActiveLayers(id), active)
		})
		// A frame under way when the message came is still sent whole: wait 200 ms of
		// audio (three video frame intervals) before counting.
		a := r.counters("", "audio").packets
		waitFor(t, 5*time.Second, "200 ms of audio", func() bool { return r.counters("", "audio").packets >= a+10 })
		r.mark()
	}
	enough := func() bool { return r.counters("q", "video").sinceMark >= 15 } // about a second

	setLayers("q")
	waitFor(t, 5*time.Second, "q to go on", enough)
	for _, rid := range []string{"h", "f"} {
		if n := r.counters(rid, "video").sinceMark; n != 0 {
			t.Errorf("paused %s: got %d packets, want 0", rid, n)
		}
	}

	r.sendToClient(map[string]any{"type": "layers", "trackId": id, "active": []string{"q", "f"}})
	waitFor(t, 5*time.Second, "f to resume", func() bool {
		return r.counters("f", "video").frames > 0 &&
			r.counters("f", "video").keyAfterMark != nil
	})
	if k := r.counters("f", "video").keyAfterMark; !*k {
		t.Error("resumed f: first frame is not a key frame")
	}
	if n := r.counters("h", "video").sinceMark; n != 0 {
		t.Errorf("paused h: got %d packets, want 0", n)
	}

	setLayers() // nobody shows the video
	if got := c.ActiveLayers(id); got == nil || len(got) != 0 {
		t.Errorf("active layers %#v, want empty and not nil", got)
	}
	q := r.counters("q", "video").packets
	waitFor(t, 5*time.Second, "a second of audio", func() bool { return r.counters("", "audio").sinceMark >= 50 })
	if got := r.counters("q", "video").packets; got != q {
		t.Errorf("every encoding paused: q sent %d packets, want 0", got-q)
	}
}

// TestSimulcastResume: a resumed session publishes the three encodings again, all active
// until the new session's first `layers` (the old session's pauses do not carry over).
func TestSimulcastResume(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	r := newRIDServer(t, "video-size", "simulcast")
	c := joinRID(t, r, true)
	id := videoID(t, c)
	waitFor(t, 15*time.Second, "h", func() bool { return r.counters("h", "video").frames > 0 })
	r.sendToClient(map[string]any{"type": "layers", "trackId": id, "active": []string{"q"}})
	waitFor(t, 5*time.Second, "h paused", func() bool { return slices.Equal(c.ActiveLayers(id), []string{"q"}) })
	r.mark()
	c.DropSocket()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Resume(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	waitFor(t, 15*time.Second, "h on the new session", func() bool {
		h := r.counters("h", "video")
		return h.tracks == 2 && h.sinceMark > 0 && slices.Equal(c.ActiveLayers(id), []string{"q", "h", "f"})
	})
}

// TestSimulcastPLI: a PLI on one encoding's SSRC makes that encoding, and only it, jump to a
// key frame. Ten PLIs in a second give about ten key frames on h; q sees at most its clip's
// own (one every 2 s, and one at the loop).
func TestSimulcastPLI(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	r := newRIDServer(t, "video-size", "simulcast")
	joinRID(t, r, true)
	waitFor(t, 15*time.Second, "h and q", func() bool {
		return r.counters("q", "video").frames > 0 && r.counters("h", "video").frames > 0
	})
	r.mark()
	h := r.counters("h", "video")
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range 10 {
		if err := r.pli(h.ssrc); err != nil {
			t.Fatalf("pli: %v", err)
		}
		<-tick.C
	}
	waitFor(t, 2*time.Second, "key frames on h", func() bool { return r.counters("h", "video").keysSinceMark >= 6 })
	if k := r.counters("q", "video").keysSinceMark; k > 2 {
		t.Errorf("q: got %d key frames in a second of PLIs on h, want at most 2", k)
	}
}

// TestSimulcastRetransmission: a NACK on one encoding is answered on its RTX stream, which
// names the encoding it repairs (the repaired-rtp-stream-id extension, RFC 8852 §3.2), not
// the encoding itself: a receiver that took the RTX SSRC for a new SSRC of that encoding (as
// pion does for an RTX packet that carries a plain rid) would read the encoding from the
// repair stream. The repaired packet arrives again, and the encoding stays one stream.
func TestSimulcastRetransmission(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	r := newRIDServer(t, "video-size", "simulcast")
	joinRID(t, r, true)
	waitFor(t, 15*time.Second, "h", func() bool { return r.counters("h", "video").packets >= 10 })
	h := r.counters("h", "video")
	var seq uint16
	for s := range h.seqs {
		seq = s
		break
	}
	if err := r.nack(h.ssrc, seq); err != nil {
		t.Fatalf("nack: %v", err)
	}
	waitFor(t, 5*time.Second, "the repaired packet", func() bool { return r.counters("h", "video").seqs[seq] >= 2 })
	a := r.counters("", "audio").packets
	waitFor(t, 5*time.Second, "200 ms more", func() bool { return r.counters("", "audio").packets >= a+10 })
	got := r.counters("h", "video")
	if got.tracks != 1 || len(got.ssrcs) != 1 || !got.ssrcs[uint32(h.ssrc)] {
		t.Errorf("h: %d tracks, SSRCs %v; want one track on SSRC %d", got.tracks, got.ssrcs, h.ssrc)
	}
}

// TestSetVideoSize: the size goes out as `video-size` to a server that lists the feature, and
// is refused without a message to one that does not.
func TestSetVideoSize(t *testing.T) {
	tests := []struct {
		name     string
		features []string
		w, h     int
		wantErr  error
	}{
		{"supported", []string{"video-size"}, 320, 180, nil},
		{"hidden", []string{"video-size"}, 0, 0, nil},
		{"not supported", nil, 320, 180, client.ErrUnsupported},
		{"negative", []string{"video-size"}, -1, 180, client.ErrBadVideoSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRIDServer(t, tt.features...)
			c := joinRID(t, r, false)
			err := c.SetVideoSize("v-1", tt.w, tt.h)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			want := map[string]any{"type": "video-size", "trackId": "v-1", "width": float64(tt.w), "height": float64(tt.h)}
			waitFor(t, 5*time.Second, "video-size at the server", func() bool {
				for _, m := range r.received() {
					var got map[string]any
					if json.Unmarshal(m, &got) == nil && got["type"] == "video-size" {
						if !equalJSON(got, want) {
							t.Fatalf("got %v, want %v", got, want)
						}
						return true
					}
				}
				return false
			})
		})
	}
}

func equalJSON(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
