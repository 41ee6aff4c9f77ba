package client

import (
	"bytes"
	_ "embed" // the bot clips live in the binary so `conclave loadtest` needs no files
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The clips are described, with the ffmpeg commands that made them, in media/README.md.
var (
	//go:embed media/video.ivf
	videoIVF []byte
	//go:embed media/audio.ogg
	audioOgg []byte
)

const (
	videoClockRate = 90000
	audioClockRate = 48000
	// opusFrameSamples is one 20 ms Opus packet at 48 kHz, the only packet size the clip has.
	opusFrameSamples = 960
)

// frame is one encoded media frame of a clip: what one tick of a source sends.
type frame struct {
	data    []byte
	samples uint32 // RTP timestamp increment after this frame
}

// clip is a whole clip in memory, frames in sending order, at a constant frame interval.
type clip struct {
	frames    []frame
	keyframes []int // indexes of the video key frames, ascending; nil for audio
	interval  time.Duration
	clockRate uint32
}

// duration is the playing time of one pass through the clip.
func (c clip) duration() time.Duration {
	return time.Duration(len(c.frames)) * c.interval
}

// loadVP8 reads a constant-frame-rate VP8 IVF file.
func loadVP8(b []byte) (clip, error) {
	r, h, err := ivfreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return clip{}, fmt.Errorf("read ivf header: %w", err)
	}
	if h.FourCC != "VP80" {
		return clip{}, fmt.Errorf("ivf codec %q: %w", h.FourCC, ErrBadClip)
	}
	// IVF's time base is numerator/denominator seconds per pts unit; the clip has one
	// frame per pts unit (constant frame rate, checked below).
	interval := time.Duration(int64(time.Second) * int64(h.TimebaseNumerator) / int64(h.TimebaseDenominator))
	samples := uint32(uint64(videoClockRate) * uint64(h.TimebaseNumerator) / uint64(h.TimebaseDenominator))
	var (
		frames []frame
		keys   []int
	)
	for {
		data, fh, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return clip{}, fmt.Errorf("read ivf frame %d: %w", len(frames), err)
		}
		// pion scales pts by denominator/numerator; undo it to get the frame index.
		pts := fh.Timestamp * uint64(h.TimebaseNumerator) / uint64(h.TimebaseDenominator)
		if pts != uint64(len(frames)) {
			return clip{}, fmt.Errorf("ivf frame %d has pts %d, want constant frame rate: %w", len(frames), pts, ErrBadClip)
		}
		if len(data) > 0 && data[0]&0x01 == 0 { // RFC 6386 §9.1: frame tag bit 0 clear
			keys = append(keys, len(frames))
		}
		frames = append(frames, frame{data: data, samples: samples})
	}
	if len(keys) == 0 || keys[0] != 0 {
		return clip{}, fmt.Errorf("ivf must start with a key frame: %w", ErrBadClip)
	}
	return clip{frames: frames, keyframes: keys, interval: interval, clockRate: videoClockRate}, nil
}

// loadOpus reads an Ogg Opus file made with one 20 ms packet per page: pion's oggreader
// returns page payloads, so a page holding several packets would become one broken packet.
func loadOpus(b []byte) (clip, error) {
	r, h, err := oggreader.NewWith(bytes.NewReader(b))
	if err != nil {
		return clip{}, fmt.Errorf("read ogg header: %w", err)
	}
	if h.SampleRate == 0 {
		return clip{}, fmt.Errorf("ogg opus sample rate 0: %w", ErrBadClip)
	}
	var (
		frames  []frame
		granule uint64
	)
	for {
		data, ph, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return clip{}, fmt.Errorf("read ogg page %d: %w", len(frames), err)
		}
		if bytes.HasPrefix(data, []byte("OpusTags")) {
			continue
		}
		if ph.GranulePosition-granule > opusFrameSamples {
			return clip{}, fmt.Errorf("ogg page %d holds more than one 20 ms packet: %w", len(frames), ErrBadClip)
		}
		granule = ph.GranulePosition
		frames = append(frames, frame{data: data, samples: opusFrameSamples})
	}
	if len(frames) == 0 {
		return clip{}, fmt.Errorf("ogg has no audio: %w", ErrBadClip)
	}
	return clip{frames: frames, interval: 20 * time.Millisecond, clockRate: audioClockRate}, nil
}
