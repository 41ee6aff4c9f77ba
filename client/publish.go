package client

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The tracks a client publishes: which sources Config.Publish asks for, from which clips.

// buildSources makes the sources Config.Publish asks for, simulcast only if the server offers
// it (welcome.features).
func (c *Client) buildSources(w welcomeMsg) error {
	simulcast := c.cfg.Publish.Simulcast && slices.Contains(w.Features, featureSimulcast)
	if c.cfg.Publish.Simulcast && !simulcast {
		c.log.Info("the server does not offer simulcast: publishing one video encoding")
	}
	sources, err := newSources(c.cfg, simulcast)
	if err != nil {
		return err
	}
	if c.ring != nil {
		for _, src := range sources {
			src.seal = c.ring.seal
		}
	}
	c.sources = sources
	return nil
}

// newSources builds the sources cfg.Publish asks for, sharing one random stream ID (the
// msid of one camera+microphone MediaStream). With simulcast the camera is three sources, one
// per encoding, sharing one track.
func newSources(cfg Config, simulcast bool) ([]*source, error) {
	stream := "bot-" + randomID()
	var out []*source
	if cfg.Publish.Video {
		id := kindVideo + "-" + randomID()
		if !simulcast {
			src, err := newSource(cfg, kindVideo, stream, id, "", videoIVF)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
		}
		for _, l := range simulcastLayers(simulcast) {
			src, err := newSource(cfg, kindVideo, stream, id, l.rid, l.clip)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
		}
	}
	if cfg.Publish.Audio {
		src, err := newSource(cfg, kindAudio, stream, kindAudio+"-"+randomID(), "", audioOgg)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

// newSource builds the source of one clip for track id (and encoding rid, "" for a single
// encoding), starting at a random sequence number and timestamp as RFC 3550 §5.1 recommends
// (each encoding of a simulcast track is its own RTP stream).
func newSource(cfg Config, kind, stream, id, rid string, data []byte) (*source, error) {
	load, codec := loadOpus, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: audioClockRate, Channels: 2}
	if kind == kindVideo {
		load, codec = loadVP8, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: videoClockRate}
	}
	c, err := load(data)
	if err != nil {
		return nil, fmt.Errorf("load %s clip %s: %w", kind, rid, err)
	}
	mid := "pub-" + kind
	var track localTrack
	switch {
	case kind == kindAudio:
		track, err = newLevelTrack(codec, id, stream, cfg.Publish.Speaking)
	case rid == "":
		track, err = webrtc.NewTrackLocalStaticRTP(codec, id, stream)
	default:
		track, err = newRIDTrack(codec, id, stream, rid, mid)
	}
	if err != nil {
		return nil, fmt.Errorf("new %s track: %w", kind, err)
	}
	src := &source{kind: kind, source: sourceOf(kind), rid: rid, mid: mid, track: track,
		loop:  newLooper(c, payloaderFor(kind), uint16(rand.Uint32()), rand.Uint32()),
		codec: codecOf(kind), marker: cfg.frameMarker, log: cfg.logger()}
	if cfg.OnSend != nil {
		src.onSend = func(p *rtp.Packet) { cfg.OnSend(id, p) }
	}
	return src, nil
}
