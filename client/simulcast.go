package client

import (
	_ "embed" // the simulcast clips, like the others
	"encoding/json"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Simulcast (docs/protocol.md "Simulcast"): the camera is one track with three encodings, each
// a complete VP8 stream from its own clip (media/README.md), with the RIDs the protocol names.
var (
	//go:embed media/video-q.ivf
	videoQIVF []byte
	//go:embed media/video-h.ivf
	videoHIVF []byte
	//go:embed media/video-f.ivf
	videoFIVF []byte
)

// simulcastLayer is one encoding of a simulcast camera: its RID and clip.
type simulcastLayer struct {
	rid  string
	clip []byte
}

// simulcastLayers returns the encodings to publish, lowest first (the order of
// `a=simulcast:send q;h;f`); none when on is false.
func simulcastLayers(on bool) []simulcastLayer {
	if !on {
		return nil
	}
	return []simulcastLayer{{"q", videoQIVF}, {"h", videoHIVF}, {"f", videoFIVF}}
}

// ridTrack is one encoding of a simulcast track. The receiver tells the encodings apart by
// the MID and RID header extensions (RFC 8852, RFC 8843): with RIDs in the SDP there are no
// SSRCs to map, and pion sets neither extension by itself, so every packet carries both
// (browsers stop once the receiver reported on the SSRC; always sending them costs a few bytes
// and survives a receiver that forgets).
type ridTrack struct {
	*webrtc.TrackLocalStaticRTP
	mid            string
	midExt, ridExt atomic.Uint32 // negotiated extension IDs, 0 until bound
}

func newRIDTrack(codec webrtc.RTPCodecCapability, id, stream, rid, mid string) (*ridTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(codec, id, stream, webrtc.WithRTPStreamID(rid))
	if err != nil {
		return nil, err
	}
	return &ridTrack{TrackLocalStaticRTP: t, mid: mid}, nil
}

// Bind notes the extension IDs the session negotiated, then binds as pion's track does. A
// resumed session binds again on its new PeerConnection.
func (t *ridTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case sdp.SDESMidURI:
			t.midExt.Store(uint32(e.ID))
		case sdp.SDESRTPStreamIDURI:
			t.ridExt.Store(uint32(e.ID))
		}
	}
	return t.TrackLocalStaticRTP.Bind(ctx)
}

// WriteRTP adds the MID and RID extensions to p and writes it.
func (t *ridTrack) WriteRTP(p *rtp.Packet) error {
	if id := t.midExt.Load(); id != 0 {
		if err := p.Header.SetExtension(uint8(id), []byte(t.mid)); err != nil {
			return err
		}
	}
	if id := t.ridExt.Load(); id != 0 {
		if err := p.Header.SetExtension(uint8(id), []byte(t.RID())); err != nil {
			return err
		}
	}
	return t.TrackLocalStaticRTP.WriteRTP(p)
}

// setActive pauses or resumes a simulcast encoding; one that resumes starts with a key frame,
// as an encoder whose encoding is made active again does.
func (s *source) setActive(active bool) {
	if wasPaused := s.paused.Swap(!active); wasPaused && active {
		s.keyframeWanted.Store(true)
	}
}

// onLayers applies the server's `layers` to the encodings of one published track.
func (c *Client) onLayers(b []byte) {
	var m layersMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.log.Warn("bad layers message from server", slog.Any("err", err))
		return
	}
	n := 0
	for _, src := range c.sources {
		if src.rid != "" && src.track.ID() == m.TrackID {
			src.setActive(slices.Contains(m.Active, src.rid))
			n++
		}
	}
	if n == 0 {
		c.log.Debug("layers for a track without encodings", "track", m.TrackID)
		return
	}
	c.log.Debug("layers", "track", m.TrackID, "active", m.Active)
}

// ActiveLayers returns the RIDs of the encodings of the local simulcast track trackID that are
// being sent, lowest first: all of them until the server's first `layers` message, then those
// it listed (empty, not nil, when it listed none). A track published without simulcast, or an
// unknown one, returns nil.
func (c *Client) ActiveLayers(trackID string) []string {
	var out []string
	for _, src := range c.sources {
		if src.rid == "" || src.track.ID() != trackID {
			continue
		}
		if out == nil {
			out = []string{}
		}
		if !src.paused.Load() {
			out = append(out, src.rid)
		}
	}
	return out
}

// byTrack groups sources by track, in order: the encodings of a simulcast track are adjacent.
func byTrack(sources []*source) [][]*source {
	var out [][]*source
	for _, src := range sources {
		if n := len(out); n > 0 && out[n-1][0].track.ID() == src.track.ID() {
			out[n-1] = append(out[n-1], src)
			continue
		}
		out = append(out, []*source{src})
	}
	return out
}
