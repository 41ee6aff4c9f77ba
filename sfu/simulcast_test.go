package sfu

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Test VP8 frames: one packet each, a real RFC 7741 descriptor (15-bit
// PictureID, TL0PICIDX) and a real key frame header (tag, start code,
// size), then a marker naming the encoding, so a subscriber can tell which
// encoding it gets and check that picture numbers continue across changes.

var testLayerWidths = [maxLayers]int{160, 320, 640}

// testVP8Magic follows the frame header in every test frame.
const testVP8Magic = 0xC5

func testVP8(layer int, pid uint16, tl0 uint8, key bool) []byte {
	b := []byte{0x90, 0xC0, 0x80 | byte(pid>>8), byte(pid), tl0}
	if key {
		w, h := testLayerWidths[layer], testLayerWidths[layer]*9/16
		b = append(b, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w>>8), byte(h), byte(h>>8))
	} else {
		b = append(b, 0x01)
	}
	b = append(b, testVP8Magic, byte(layer))
	return append(b, make([]byte, 200)...)
}

// seenVP8 is one received test frame.
type seenVP8 struct {
	seq   uint16
	pid   uint16
	tl0   uint8
	layer int
	key   bool
	width int
}

func readTestVP8(pkt *rtp.Packet) (seenVP8, bool) {
	p := pkt.Payload
	d, ok := parseVP8(p)
	if !ok || d.pidLen != 2 || d.tl0 == 0 || len(p) < d.size+3 {
		return seenVP8{}, false
	}
	f := seenVP8{seq: pkt.SequenceNumber, key: p[d.size]&1 == 0}
	f.pid, _, f.tl0 = readVP8IDs(p, d)
	at := d.size + 1
	if f.key {
		w, _, ok := vp8KeyframeSize(p)
		if !ok {
			return seenVP8{}, false
		}
		f.width, at = int(w), d.size+10
	}
	if len(p) < at+2 || p[at] != testVP8Magic {
		return seenVP8{}, false
	}
	f.layer = int(p[at+1])
	return f, true
}

// simulcastSource sends three encodings at 30 frames a second each, a key
// frame every keyEvery frames, and pauses as layers messages say.
type simulcastSource struct {
	tracks [maxLayers]*webrtc.TrackLocalStaticRTP
	tr     *webrtc.RTPTransceiver
	active [maxLayers]bool
	mu     sync.Mutex
	done   chan struct{}
	wg     sync.WaitGroup
}

const keyEvery = 15

func (p *testPeer) publishSimulcast(t *testing.T) *simulcastSource {
	t.Helper()
	src := &simulcastSource{done: make(chan struct{}), active: [maxLayers]bool{true, true, true}}
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	for i, rid := range layerRIDs {
		tr, err := webrtc.NewTrackLocalStaticRTP(codec, "video-"+p.name, "stream-"+p.name, webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		src.tracks[i] = tr
	}
	p.sendJSON(map[string]any{"type": "publish", "trackId": "video-" + p.name, "kind": "video", "source": "camera"})
	var sender *webrtc.RTPSender
	p.do(func() {
		tr, err := p.pc.AddTransceiverFromTrack(src.tracks[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			p.errorf("add track: %v", err)
			return
		}
		sender, src.tr = tr.Sender(), tr
		for _, l := range src.tracks[1:] {
			if err := sender.AddEncoding(l); err != nil {
				p.errorf("add encoding: %v", err)
			}
		}
		p.needOffer = true
	})
	if sender == nil {
		t.FailNow()
	}
	for i := range maxLayers {
		src.wg.Add(1)
		go src.run(i)
	}
	src.wg.Add(1)
	go func() {
		defer src.wg.Done()
		for _, rid := range layerRIDs {
			go func() {
				for {
					if _, _, err := sender.ReadSimulcastRTCP(rid); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { close(src.done); src.wg.Wait() })
	return src
}

func (s *simulcastSource) setActive(rids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rid := range layerRIDs {
		s.active[i] = false
		for _, r := range rids {
			s.active[i] = s.active[i] || r == rid
		}
	}
}

func (s *simulcastSource) run(layer int) {
	defer s.wg.Done()
	tick := time.NewTicker(33 * time.Millisecond)
	defer tick.Stop()
	seq, pid := uint16(1000*layer), uint16(3000*layer+7)
	for n := 0; ; n++ {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		on := s.active[layer]
		s.mu.Unlock()
		if !on {
			continue
		}
		key := n%keyEvery == 0
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(n) * 3000, Marker: true}
		// pion's sender does not add the MID and RID extensions that tell
		// the receiver which encoding a packet belongs to; browsers do.
		for _, e := range s.tr.Sender().GetParameters().HeaderExtensions {
			switch e.URI {
			case sdp.SDESMidURI:
				_ = h.SetExtension(uint8(e.ID), []byte(s.tr.Mid()))
			case sdp.SDESRTPStreamIDURI:
				_ = h.SetExtension(uint8(e.ID), []byte(layerRIDs[layer]))
			}
		}
		_ = s.tracks[layer].WriteRTP(&rtp.Packet{Header: h, Payload: testVP8(layer, pid&0x7fff, uint8(n/keyEvery), key)})
		seq++
		pid++
	}
}

// framesFrom returns the test frames r got from index from on.
func (r *received) framesFrom(from int) []seenVP8 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenVP8(nil), r.vp8[min(max(from, 0), len(r.vp8)):]...)
}

func (r *received) frameCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.vp8)
}

// videoSize reports a tile size for a received track.
func (p *testPeer) videoSize(trackID string, w, h int) {
	p.sendJSON(map[string]any{"type": "video-size", "trackId": trackID, "width": w, "height": h})
}

// waitLayer waits until r's latest frames come from layer.
func waitLayer(t *testing.T, r *received, layer int, within time.Duration) {
	t.Helper()
	eventually(t, within, "frames of layer "+layerRIDs[layer], func() bool {
		f := r.framesFrom(r.frameCount() - 3)
		return len(f) == 3 && f[0].layer == layer && f[2].layer == layer
	})
}

// checkContinuity asserts that frames form one stream: consecutive
// sequence numbers and PictureIDs, each change of layer at a key frame.
func checkContinuity(t *testing.T, frames []seenVP8) {
	t.Helper()
	for i := 1; i < len(frames); i++ {
		a, b := frames[i-1], frames[i]
		if b.seq != a.seq+1 || b.pid != (a.pid+1)&0x7fff {
			t.Errorf("frame %d: seq %d pid %d after seq %d pid %d (layers %d→%d)", i, b.seq, b.pid, a.seq, a.pid, a.layer, b.layer)
		}
		if b.layer != a.layer && !b.key {
			t.Errorf("frame %d: layer %d→%d on a delta frame", i, a.layer, b.layer)
		}
		if b.layer != a.layer && b.tl0 != a.tl0+1 {
			t.Errorf("frame %d: TL0PICIDX %d after %d across a change of layer", i, b.tl0, a.tl0)
		}
	}
}

func TestSimulcastLayerFollowsTileSize(t *testing.T) {
	_, url := newTestSFU(t, Config{})
	pub := dialPeer(t, url, "simulcast", "ada", "")
	sub := dialPeer(t, url, "simulcast", "bob", "")
	src := pub.publishSimulcast(t)
	trackID := "video-ada"
	var r *received
	eventually(t, 10*time.Second, "bob receives ada's video", func() bool {
		r = sub.track(pub.id, trackID)
		return r != nil
	})

	// A small tile gets the lowest encoding.
	sub.videoSize(trackID, 160, 90)
	waitLayer(t, r, 0, 10*time.Second)
	start := r.frameCount() - 3

	// A large one gets the full encoding, after the hold, from its key frame.
	sub.videoSize(trackID, 640, 360)
	waitLayer(t, r, 2, 10*time.Second)
	// And a medium one the half, at once (down).
	sub.videoSize(trackID, 320, 180)
	waitLayer(t, r, 1, 5*time.Second)
	frames := r.framesFrom(start)
	checkContinuity(t, frames)
	var order []int
	for _, f := range frames {
		if len(order) == 0 || order[len(order)-1] != f.layer {
			order = append(order, f.layer)
		}
	}
	if !slices.Equal(order, []int{0, 2, 1}) {
		t.Errorf("layers in order %v, want [0 2 1]", order)
	}
	for _, f := range frames {
		if f.key && f.width != testLayerWidths[f.layer] {
			t.Errorf("key frame of layer %d is %d wide", f.layer, f.width)
		}
	}

	// Encodings nobody receives are paused at the publisher.
	m := pub.waitEvent(10*time.Second, "layers [h]", func(m serverMsg) bool {
		return m.Type == "layers" && m.TrackID == trackID && len(m.Active) == 1 && m.Active[0] == "h"
	})
	src.setActive(m.Active)

	// Off screen: nothing flows, and every encoding is paused.
	sub.videoSize(trackID, 0, 0)
	m = pub.waitEvent(10*time.Second, "layers []", func(m serverMsg) bool {
		return m.Type == "layers" && m.TrackID == trackID && len(m.Active) == 0
	})
	src.setActive(m.Active)
	n := r.frameCount()
	time.Sleep(500 * time.Millisecond)
	if got := r.frameCount() - n; got > 1 {
		t.Errorf("%d frames arrived for a hidden tile", got)
	}

	// Shown again: the wanted encoding is resumed at once and forwarded
	// from its key frame, continuing the numbers.
	from := r.frameCount()
	sub.videoSize(trackID, 160, 90)
	m = pub.waitEvent(5*time.Second, "layers [q]", func(m serverMsg) bool {
		return m.Type == "layers" && m.TrackID == trackID && len(m.Active) == 1 && m.Active[0] == "q"
	})
	src.setActive(m.Active)
	waitLayer(t, r, 0, 5*time.Second)
	checkContinuity(t, r.framesFrom(max(from-1, 0)))
}

// TestLastNKeepsRecentSpeakerFlowing: a hidden simulcast camera keeps
// arriving in its lowest encoding while its publisher is among the last
// dominant speakers, and stops when it is not (LastN off).
func TestLastNKeepsRecentSpeakerFlowing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lastN int
		flows bool
	}{{"recent speaker", 3, true}, {"last-N off", -1, false}} {
		t.Run(tt.name, func(t *testing.T) {
			s, url := newTestSFU(t, Config{LastN: tt.lastN})
			pub := dialPeer(t, url, "lastn", "ada", "")
			sub := dialPeer(t, url, "lastn", "bob", "")
			src := pub.publishSimulcast(t)
			var r *received
			eventually(t, 10*time.Second, "bob receives ada's video", func() bool {
				r = sub.track(pub.id, "video-ada")
				return r != nil
			})
			waitLayer(t, r, 2, 10*time.Second) // unknown tile: the 640-wide one
			// Ada has been the dominant speaker (set as the speaker loop would).
			room := s.room("lastn")
			room.mu.Lock()
			room.speakers.noteRecentLocked(pub.id)
			room.mu.Unlock()
			sub.videoSize("video-ada", 0, 0)
			if !tt.flows {
				n := r.frameCount()
				eventually(t, 5*time.Second, "no frames for the hidden tile", func() bool {
					m := r.frameCount()
					time.Sleep(500 * time.Millisecond)
					return r.frameCount() == m && m-n < 30
				})
				return
			}
			// Pausing follows layers messages, as a browser would.
			m := pub.waitEvent(10*time.Second, "layers [q]", func(m serverMsg) bool {
				return m.Type == "layers" && len(m.Active) == 1 && m.Active[0] == "q"
			})
			src.setActive(m.Active)
			waitLayer(t, r, 0, 10*time.Second)
			n := r.frameCount()
			time.Sleep(time.Second)
			if got := r.frameCount() - n; got < 20 {
				t.Errorf("%d frames of the hidden recent speaker in 1 s, want about 30", got)
			}
		})
	}
}
