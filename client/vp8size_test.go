package client

import (
	"slices"
	"testing"
	"time"

	"conclave/sframe"
)

// TestSimulcastClips checks what media/README.md says of the simulcast clips: their sizes,
// key frames at 0, 30 and 60 in all three, 5 s at 15 fps, and their bitrates.
func TestSimulcastClips(t *testing.T) {
	tests := []struct {
		rid          string
		data         []byte
		w, h         int
		minKbps, max float64
	}{
		{"q", videoQIVF, 160, 90, 40, 65},
		{"h", videoHIVF, 320, 180, 130, 180},
		{"f", videoFIVF, 640, 360, 600, 800},
	}
	for _, tt := range tests {
		t.Run(tt.rid, func(t *testing.T) {
			c, err := loadVP8(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.frames) != 75 || c.interval != time.Second/15 {
				t.Errorf("got %d frames every %v, want 75 every %v", len(c.frames), c.interval, time.Second/15)
			}
			if want := []int{0, 30, 60}; !slices.Equal(c.keyframes, want) {
				t.Errorf("key frames at %v, want %v", c.keyframes, want)
			}
			for _, k := range c.keyframes {
				if w, h, ok := sframe.VP8KeyFrameSize(c.frames[k].data); !ok || w != tt.w || h != tt.h {
					t.Errorf("key frame %d: got %dx%d %v, want %dx%d", k, w, h, ok, tt.w, tt.h)
				}
			}
			bytes := 0
			for _, f := range c.frames {
				bytes += len(f.data)
			}
			kbps := float64(bytes) * 8 / c.duration().Seconds() / 1000
			t.Logf("%s: %dx%d, %.1f kbit/s", tt.rid, tt.w, tt.h, kbps)
			if kbps < tt.minKbps || kbps > tt.max {
				t.Errorf("got %.1f kbit/s, want %v to %v", kbps, tt.minKbps, tt.max)
			}
		})
	}
}
