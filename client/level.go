package client

import (
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// audioLevelURI is the RFC 6464 client-to-mixer audio level extension; the server reads it to
// tell who is speaking (docs/protocol.md, "Active speakers").
const audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

// Levels a bot reports, as browsers do on every packet: the level in -dBov (0 loudest, 127
// silence), and the V bit for voice.
const (
	speechLevel  = 0x80 | 30 // voice at -30 dBov
	silenceLevel = 127       // silence, no voice
)

// levelTrack is the microphone track: it adds the audio level extension to every packet
// once negotiated. The clip's real loudness would need an Opus decoder; a bot is either a
// speaker (Publish.Speaking) or silent, which is what the server's speaker detection and
// last-N need to be exercised.
type levelTrack struct {
	*webrtc.TrackLocalStaticRTP
	level [1]byte
	ext   atomic.Uint32 // negotiated extension ID, 0 until bound
}

func newLevelTrack(codec webrtc.RTPCodecCapability, id, stream string, speaking bool) (*levelTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(codec, id, stream)
	if err != nil {
		return nil, err
	}
	lt := &levelTrack{TrackLocalStaticRTP: t, level: [1]byte{silenceLevel}}
	if speaking {
		lt.level[0] = speechLevel
	}
	return lt, nil
}

// Bind notes the extension's ID, then binds as pion's track does.
func (t *levelTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, e := range ctx.HeaderExtensions() {
		if e.URI == audioLevelURI {
			t.ext.Store(uint32(e.ID))
		}
	}
	return t.TrackLocalStaticRTP.Bind(ctx)
}

// WriteRTP adds the audio level to p and writes it.
func (t *levelTrack) WriteRTP(p *rtp.Packet) error {
	if id := t.ext.Load(); id != 0 {
		if err := p.Header.SetExtension(uint8(id), t.level[:]); err != nil {
			return err
		}
	}
	return t.TrackLocalStaticRTP.WriteRTP(p)
}
