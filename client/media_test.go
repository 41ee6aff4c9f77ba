package client

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestLoadClips(t *testing.T) {
	tests := []struct {
		name       string
		load       func([]byte) (clip, error)
		data       []byte
		wantFrames int
		interval   time.Duration
		samples    uint32
	}{
		{"vp8", loadVP8, videoIVF, 75, time.Second / 15, 6000},
		{"opus", loadOpus, audioOgg, 250, 20 * time.Millisecond, 960},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.load(tt.data)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			// libopus may add a frame for its pre-skip; allow one either way.
			if n := len(c.frames); n < tt.wantFrames-1 || n > tt.wantFrames+1 {
				t.Errorf("got %d frames, want %d±1", n, tt.wantFrames)
			}
			if c.interval != tt.interval {
				t.Errorf("got interval %v, want %v", c.interval, tt.interval)
			}
			for i, f := range c.frames {
				if f.samples != tt.samples || len(f.data) == 0 {
					t.Fatalf("frame %d: got %d samples, %d bytes; want %d samples, some bytes",
						i, f.samples, len(f.data), tt.samples)
				}
			}
		})
	}
}

func TestVP8KeyFrames(t *testing.T) {
	c, err := loadVP8(videoIVF)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var keys []int
	for i, f := range c.frames {
		if f.data[0]&0x01 == 0 { // RFC 6386 §9.1: bit 0 of the frame tag is 0 on key frames
			keys = append(keys, i)
		}
	}
	want := []int{0, 30, 60} // every 2 s at 15 fps
	if !slices.Equal(keys, want) || !slices.Equal(c.keyframes, want) {
		t.Errorf("got key frames at %v (clip says %v), want %v", keys, c.keyframes, want)
	}
}

// TestJumpToKeyframe: a PLI makes the next frame sent the next key frame of the clip.
func TestJumpToKeyframe(t *testing.T) {
	vp8, opus := loadClips(t)
	tests := []struct {
		name       string
		clip       clip
		next, want int
	}{
		{"at a key frame", vp8, 30, 30},
		{"inside a GOP", vp8, 31, 60},
		{"first frame", vp8, 0, 0},
		{"last GOP wraps", vp8, 61, 0},
		{"audio stays", opus, 17, 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &looper{clip: tt.clip, next: tt.next}
			l.jumpToKeyframe()
			if l.next != tt.want {
				t.Errorf("got next frame %d, want %d", l.next, tt.want)
			}
		})
	}
}

func TestLoadClipRejects(t *testing.T) {
	tests := []struct {
		name string
		load func([]byte) (clip, error)
		data []byte
	}{
		{"vp8 empty", loadVP8, nil},
		{"vp8 from ogg", loadVP8, audioOgg},
		{"vp8 truncated header", loadVP8, videoIVF[:20]},
		{"opus empty", loadOpus, nil},
		{"opus from ivf", loadOpus, videoIVF},
		{"opus headers only", loadOpus, audioOgg[:100]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.load(tt.data); err == nil {
				t.Errorf("got nil error, want one")
			}
		})
	}
}

// TestLooperContinuity runs each clip through its end more than twice and checks that the
// RTP stream never restarts: every sequence number is the previous plus one, every frame's
// timestamp is the previous frame's plus its duration, including across the wrap of the clip
// and across the 16- and 32-bit wraps of the counters.
func TestLooperContinuity(t *testing.T) {
	vp8, opus := loadClips(t)
	tests := []struct {
		name string
		clip clip
		kind string
		seq  uint16
		ts   uint32
	}{
		{"vp8 from zero", vp8, kindVideo, 0, 0},
		{"vp8 across seq and ts wrap", vp8, kindVideo, 65000, 0xffff0000},
		{"opus from zero", opus, kindAudio, 0, 0},
		{"opus across seq and ts wrap", opus, kindAudio, 65400, 0xfffff000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLooper(tt.clip, payloaderFor(tt.kind), tt.seq, tt.ts)
			checkContinuity(t, l, len(tt.clip.frames)*5/2, tt.seq, tt.ts)
		})
	}
}

func checkContinuity(t *testing.T, l *looper, frames int, seq uint16, ts uint32) {
	t.Helper()
	wantSeq, wantTS := seq, ts
	for i := range frames {
		samples := l.clip.frames[l.next].samples
		pkts := mustFrame(t, l)
		if len(pkts) == 0 {
			t.Fatalf("frame %d: no packets", i)
		}
		for j, p := range pkts {
			if p.SequenceNumber != wantSeq {
				t.Fatalf("frame %d packet %d: got seq %d, want %d", i, j, p.SequenceNumber, wantSeq)
			}
			if p.Timestamp != wantTS {
				t.Fatalf("frame %d packet %d: got ts %d, want %d", i, j, p.Timestamp, wantTS)
			}
			if last := j == len(pkts)-1; p.Marker != last {
				t.Fatalf("frame %d packet %d: got marker %v, want %v", i, j, p.Marker, last)
			}
			wantSeq++
		}
		wantTS += samples
	}
}

// TestLooperSkip: after a stall the timestamp jumps by the frames not sent, the sequence
// numbers stay continuous, and the content goes on where it was.
func TestLooperSkip(t *testing.T) {
	c, err := loadOpus(audioOgg)
	if err != nil {
		t.Fatal(err)
	}
	l := newLooper(c, payloaderFor(kindAudio), 100, 5000)
	first := mustFrame(t, l)[0]
	l.skip(3)
	next := mustFrame(t, l)[0]
	if next.SequenceNumber != first.SequenceNumber+1 {
		t.Errorf("got seq %d after %d, want consecutive", next.SequenceNumber, first.SequenceNumber)
	}
	if got, want := next.Timestamp-first.Timestamp, uint32(4*opusFrameSamples); got != want {
		t.Errorf("got timestamp step %d, want %d (one frame plus three skipped)", got, want)
	}
	if string(next.Payload) != string(c.frames[1].data) {
		t.Errorf("got a payload other than the clip's second frame after a skip")
	}
}

func TestFramesDue(t *testing.T) {
	const iv = 20 * time.Millisecond
	tests := []struct {
		name    string
		elapsed time.Duration
		want    int
	}{
		{"first tick", iv, 1},
		{"just before second", 2*iv - time.Microsecond, 1},
		{"after a stall of five frames", 7 * iv, 7},
		{"zero", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := framesDue(tt.elapsed, iv); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestSourcePacing runs real sources for a second and checks they send about one second of
// media: loose bounds, the point is real-time pacing, not scheduler precision.
func TestSourcePacing(t *testing.T) {
	srcs, err := newSources(Config{Publish: Publish{Video: true, Audio: true}}, false)
	if err != nil {
		t.Fatal(err)
	}
	const run = time.Second
	ctx, cancel := context.WithTimeout(t.Context(), run)
	defer cancel()
	frames := make([]atomic.Int64, len(srcs))
	done := make(chan struct{}, len(srcs))
	for i, s := range srcs {
		s.onSend = func(p *rtp.Packet) {
			if p.Marker {
				frames[i].Add(1)
			}
		}
		go func() {
			s.run(ctx)
			done <- struct{}{}
		}()
	}
	for range srcs {
		<-done
	}
	for i, s := range srcs {
		want := float64(run / s.loop.clip.interval)
		got := float64(frames[i].Load())
		if got < want*0.6 || got > want*1.1 {
			t.Errorf("%s: got %v frames in %v, want about %v", s.kind, got, run, want)
		}
		if s.packets.Load() == 0 || s.bytes.Load() == 0 {
			t.Errorf("%s: got %d packets, %d bytes counted, want some", s.kind, s.packets.Load(), s.bytes.Load())
		}
	}
}

func TestNewSourcesTracks(t *testing.T) {
	tests := []struct {
		name      string
		simulcast bool
		mimes     []string
		rids      []string
	}{
		{"single", false, []string{webrtc.MimeTypeVP8, webrtc.MimeTypeOpus}, []string{"", ""}},
		{"simulcast", true, []string{webrtc.MimeTypeVP8, webrtc.MimeTypeVP8, webrtc.MimeTypeVP8, webrtc.MimeTypeOpus},
			[]string{"q", "h", "f", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs, err := newSources(Config{Publish: Publish{Video: true, Audio: true, Simulcast: tt.simulcast}}, tt.simulcast)
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != len(tt.mimes) {
				t.Fatalf("got %d sources, want %d", len(srcs), len(tt.mimes))
			}
			for i, s := range srcs {
				if got := s.track.Codec().MimeType; got != tt.mimes[i] {
					t.Errorf("source %d: got %s, want %s", i, got, tt.mimes[i])
				}
				if s.rid != tt.rids[i] || s.track.RID() != tt.rids[i] {
					t.Errorf("source %d: got rid %q (track %q), want %q", i, s.rid, s.track.RID(), tt.rids[i])
				}
				if s.track.StreamID() != srcs[0].track.StreamID() {
					t.Errorf("source %d: stream %q differs from %q", i, s.track.StreamID(), srcs[0].track.StreamID())
				}
			}
			groups := byTrack(srcs)
			if len(groups) != 2 || len(groups[0]) != len(srcs)-1 || groups[0][0].mid == groups[1][0].mid {
				t.Errorf("got %d tracks (%d video encodings), want 2 tracks with their own mids", len(groups), len(groups[0]))
			}
		})
	}
}

// loadClips loads the embedded video and audio clips.
func loadClips(t *testing.T) (vp8, opus clip) {
	t.Helper()
	vp8, err := loadVP8(videoIVF)
	if err != nil {
		t.Fatal(err)
	}
	opus, err = loadOpus(audioOgg)
	if err != nil {
		t.Fatal(err)
	}
	return vp8, opus
}

// mustFrame packetizes the looper's next frame unchanged.
func mustFrame(t *testing.T, l *looper) []*rtp.Packet {
	t.Helper()
	pkts, err := l.nextFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}
