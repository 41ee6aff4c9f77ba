package sframe

import "testing"

func TestVP8KeyFrameSize(t *testing.T) {
	key := func(w, h uint16) []byte {
		return []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8), 0xff}
	}
	tests := []struct {
		name         string
		frame        []byte
		wantW, wantH int
		wantOK       bool
	}{
		{"640x360", key(640, 360), 640, 360, true},
		{"160x90", key(160, 90), 160, 90, true},
		{"scaling bits ignored", key(320|0xc000, 180|0x4000), 320, 180, true},
		{"largest", key(0x3fff, 0x3fff), 16383, 16383, true},
		{"header only", key(8, 8)[:10], 8, 8, true},
		{"delta frame", append([]byte{0x51}, key(640, 360)[1:]...), 0, 0, false},
		{"bad start code", append(key(640, 360)[:3], 0x9d, 0x01, 0x2b, 0x80, 0x02, 0x68, 0x01), 0, 0, false},
		{"short", key(640, 360)[:9], 0, 0, false},
		{"empty", nil, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, ok := VP8KeyFrameSize(tt.frame)
			if w != tt.wantW || h != tt.wantH || ok != tt.wantOK {
				t.Errorf("got %dx%d %v, want %dx%d %v", w, h, ok, tt.wantW, tt.wantH, tt.wantOK)
			}
		})
	}
}

// FuzzVP8KeyFrameSize: the parser reads network bytes; it must never panic, and a size it
// reports fits 14 bits and comes only with a key frame's start code.
func FuzzVP8KeyFrameSize(f *testing.F) {
	f.Add([]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01})
	f.Add([]byte{0x51, 0x42})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		w, h, ok := VP8KeyFrameSize(frame)
		if !ok {
			if w != 0 || h != 0 {
				t.Fatalf("not a key frame but %dx%d", w, h)
			}
			return
		}
		if frame[0]&1 != 0 || frame[3] != 0x9d || w > 0x3fff || h > 0x3fff {
			t.Fatalf("frame %x: got %dx%d", frame, w, h)
		}
	})
}
