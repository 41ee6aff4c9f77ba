package sfu

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"conclave/sframe"
)

// vp8Frame is a real-looking VP8 frame of n bytes: a key frame starts
// with the frame tag (bit 0 = 0), the start code 9d 01 2a and 640x480; a
// delta frame with a frame tag whose bit 0 is 1.
func vp8Frame(key bool, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	f := make([]byte, n)
	for i := range f {
		f[i] = byte(r.Uint32())
	}
	if key {
		copy(f, []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	} else {
		f[0] = 0x31 // inter frame, version 0, shown
	}
	return f
}

// TestVP8KeyframeEncrypted packetizes E2EE VP8 frames (docs/e2ee.md: 10
// clear bytes on key frames, 1 on delta frames) as a browser does and
// feeds every packet to the detector and to the forwarding path.
func TestVP8KeyframeEncrypted(t *testing.T) {
	snd, err := sframe.NewSender(sframe.AES128GCMSHA256, 7<<6, bytes.Repeat([]byte{0x42}, 16))
	if err != nil {
		t.Fatal(err)
	}
	e2ee := func(frame []byte) []byte {
		out, err := sframe.EncryptFrame(snd, sframe.CodecVP8, frame)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	whole := func(frame []byte) []byte { // 0 clear bytes: a client that got it wrong
		out, err := snd.Encrypt(nil, nil, frame)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name  string
		frame []byte
		check bool // whether the first packet's verdict is asserted
		want  bool
	}{
		{"key frame", e2ee(vp8Frame(true, 3000, 1)), true, true},
		{"small key frame", e2ee(vp8Frame(true, 10, 2)), true, true},
		{"delta frame", e2ee(vp8Frame(false, 2500, 3)), true, false},
		{"one-byte delta frame", e2ee(vp8Frame(false, 1, 4)), true, false},
		{"fully encrypted key frame", whole(vp8Frame(true, 3000, 5)), false, false},
		{"fully encrypted delta frame", whole(vp8Frame(false, 800, 6)), false, false},
	}
	for _, tc := range tests {
		for _, pid := range []bool{false, true} {
			pay := &codecs.VP8Payloader{EnablePictureID: pid}
			pkts := pay.Payload(1200, tc.frame)
			if len(pkts) == 0 {
				t.Fatalf("%s: no packets", tc.name)
			}
			for i, p := range pkts {
				got := vp8Keyframe(p)
				if i == 0 && tc.check && got != tc.want {
					t.Errorf("%s (picture ID %v): first packet key %v, want %v", tc.name, pid, got, tc.want)
				}
				if i > 0 && got {
					t.Errorf("%s (picture ID %v): packet %d (not a frame start) taken for a key frame", tc.name, pid, i)
				}
			}
			u, _ := newForwardFixture(t, 1)
			var h rtp.Header
			for i, p := range pkts {
				b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i),
					Marker: i == len(pkts)-1, SSRC: 1111}, Payload: p}).Marshal()
				u.forward(u.layer(0), &h, b)
			}
			if n := counterValue(t, u.metrics.keyframesSeen); tc.check && (n == 1) != tc.want {
				t.Errorf("%s: forwarding path counted %v key frames, want key=%v", tc.name, n, tc.want)
			}
		}
	}
}

func TestKeyframeDescriptors(t *testing.T) {
	tests := []struct {
		name    string
		detect  keyframeFunc
		payload []byte
		want    bool
	}{
		{"vp8 empty", vp8Keyframe, nil, false},
		{"vp8 minimal key", vp8Keyframe, []byte{0x10, 0x50}, true},
		{"vp8 minimal delta", vp8Keyframe, []byte{0x10, 0x31}, false},
		{"vp8 descriptor only", vp8Keyframe, []byte{0x10}, false},
		{"vp8 not a frame start", vp8Keyframe, []byte{0x00, 0x50}, false},
		{"vp8 partition 1", vp8Keyframe, []byte{0x11, 0x50}, false},
		{"vp8 7-bit picture id", vp8Keyframe, []byte{0x90, 0x80, 0x05, 0x50}, true},
		{"vp8 15-bit picture id", vp8Keyframe, []byte{0x90, 0x80, 0x81, 0x05, 0x50}, true},
		{"vp8 15-bit picture id, delta", vp8Keyframe, []byte{0x90, 0x80, 0x81, 0x05, 0x31}, false},
		{"vp8 all extensions", vp8Keyframe, []byte{0x90, 0xf0, 0x81, 0x05, 0x11, 0x40, 0x50}, true},
		{"vp8 X without the extension byte", vp8Keyframe, []byte{0x90}, false},
		{"vp8 picture id cut short", vp8Keyframe, []byte{0x90, 0x80}, false},
		{"vp8 15-bit picture id cut short", vp8Keyframe, []byte{0x90, 0x80, 0x81}, false},
		{"vp8 extensions past the end", vp8Keyframe, []byte{0x90, 0xf0, 0x81, 0x05, 0x11}, false},
		{"vp9 empty", vp9Keyframe, nil, false},
		{"vp9 key, no layers", vp9Keyframe, []byte{0x08, 0xff}, true},
		{"vp9 inter frame", vp9Keyframe, []byte{0x48, 0xff}, false},
		{"vp9 not a frame start", vp9Keyframe, []byte{0x04, 0xff}, false},
		{"vp9 key, picture id, layer 0", vp9Keyframe, []byte{0xa8, 0x81, 0x02, 0x00}, true},
		{"vp9 key, spatial layer 1", vp9Keyframe, []byte{0xa8, 0x81, 0x02, 0x02}, false},
		{"vp9 layers cut short", vp9Keyframe, []byte{0xa8, 0x81}, false},
		{"vp9 picture id cut short", vp9Keyframe, []byte{0xa8}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.detect(tc.payload); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKeyframeDetectorsDoNotAllocate(t *testing.T) {
	key := []byte{0x90, 0xf0, 0x81, 0x05, 0x11, 0x40, 0x50, 1, 2, 3}
	vp9 := []byte{0xa8, 0x81, 0x02, 0x00, 1, 2, 3}
	if n := testing.AllocsPerRun(1000, func() {
		if !vp8Keyframe(key) || !vp9Keyframe(vp9) {
			t.Fatal("not detected")
		}
	}); n != 0 {
		t.Errorf("%v allocations per call, want 0", n)
	}
}

// FuzzKeyframe: the detectors read untrusted payloads and must never panic.
func FuzzKeyframe(f *testing.F) {
	for _, seed := range [][]byte{nil, {0x10, 0x50}, {0x90, 0xf0, 0x81, 0x05, 0x11, 0x40, 0x50}, {0x90, 0x80},
		{0xa8, 0x81, 0x02, 0x00}, {0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = vp8Keyframe(b)
		_ = vp9Keyframe(b)
	})
}
