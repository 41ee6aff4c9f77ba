package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// DownTrack is one subscriber's copy of an UpTrack. It is the
// webrtc.TrackLocal we add to the subscriber's PeerConnection, written
// directly to the binding pion gives us (pion's TrackLocalStaticRTP copies
// per binding and takes a lock per packet; we need neither).
//
// The up-track's reader calls writeRTP; the RTCP goroutine (rtcp.go)
// answers NACKs. Both go through the rewriter, which mu guards.
type DownTrack struct {
	up           *UpTrack
	subscriberID string
	metrics      *metrics

	bound atomic.Pointer[binding]

	hdr rtp.Header // scratch header, owned by the up-track's reader

	// bytesOut counts the payload bytes sent, for the subscriber's
	// dashboard entry; set before the track is bound (nil: not counted).
	bytesOut *atomic.Uint64

	mu sync.Mutex // guards rw
	rw rewriter

	// hidden: the subscriber shows no tile for this video (video-size 0x0),
	// so nothing is sent. resuming: shown again; sending restarts at the
	// next key frame, continuing the output sequence without a gap.
	hidden, resuming atomic.Bool
}

// binding is what negotiation with the subscriber decided.
type binding struct {
	ssrc, rtxSSRC uint32
	pt, rtxPT     uint8
	writer        webrtc.TrackLocalWriter
	exts          extMap
}

var _ webrtc.TrackLocal = (*DownTrack)(nil)

func newDownTrack(up *UpTrack, subscriberID string, m *metrics) *DownTrack {
	return &DownTrack{up: up, subscriberID: subscriberID, metrics: m,
		rw:  newRewriter(up.codec.ClockRate),
		hdr: rtp.Header{Extensions: make([]rtp.Extension, 0, maxForwardedExtensions+2)}}
}

// ID implements webrtc.TrackLocal: the publisher's track ID.
func (t *DownTrack) ID() string { return t.up.info.TrackID }

// StreamID implements webrtc.TrackLocal: the publisher's participant ID.
func (t *DownTrack) StreamID() string { return t.up.participantID }

// RID implements webrtc.TrackLocal; a down-track is never simulcast.
func (t *DownTrack) RID() string { return "" }

// Kind implements webrtc.TrackLocal.
func (t *DownTrack) Kind() webrtc.RTPCodecType { return webrtc.NewRTPCodecType(t.up.info.Kind) }

// Bind implements webrtc.TrackLocal. pion calls it when the subscriber's
// answer is applied. When the subscriber did not negotiate the publisher's
// codec we still return a codec (an error would fail the whole
// SetRemoteDescription) but never write: a codec is never substituted.
func (t *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	codec, rtxPT, ok := matchCodec(t.up.codec.RTPCodecCapability, codecs)
	if !ok {
		if len(codecs) == 0 {
			return webrtc.RTPCodecParameters{}, ErrUnsupportedCodec
		}
		return codecs[0], nil
	}
	b := &binding{ssrc: uint32(ctx.SSRC()), pt: uint8(codec.PayloadType), writer: ctx.WriteStream(),
		exts: newExtMap(t.up.exts, ctx.HeaderExtensions())}
	if rtxPT != 0 && ctx.SSRCRetransmission() != 0 {
		b.rtxSSRC, b.rtxPT = uint32(ctx.SSRCRetransmission()), rtxPT
	}
	t.bound.Store(b)
	t.up.addDown(t)
	t.metrics.downTracks.Inc()
	// A new subscriber can decode nothing before the next keyframe.
	t.up.requestKeyframe()
	return codec, nil
}

// Unbind implements webrtc.TrackLocal; pion calls it when the sender stops.
func (t *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	t.detach()
	return nil
}

// detach stops forwarding to this down-track. Idempotent.
func (t *DownTrack) detach() {
	t.up.removeDown(t)
	if t.bound.Swap(nil) != nil {
		t.metrics.downTracks.Dec()
	}
}

// setVisible pauses the down-track while the subscriber shows no tile for
// it, and resumes it (from a key frame it asks the publisher for) once the
// tile is back. Safe from any goroutine.
func (t *DownTrack) setVisible(visible bool) {
	if visible == !t.hidden.Load() {
		return
	}
	if visible {
		t.resuming.Store(true)
		t.hidden.Store(false)
		t.up.requestKeyframe()
		return
	}
	t.hidden.Store(true)
}

// writeRTP forwards one packet of the up-track: same payload, same marker,
// padding and CSRCs; rewritten SSRC, payload type, sequence number,
// timestamp and extension IDs. key says whether the packet starts a key
// frame. Called only by the up-track's reader.
func (t *DownTrack) writeRTP(src *rtp.Header, payload []byte, key bool, now time.Duration) {
	b := t.bound.Load()
	if b == nil || t.hidden.Load() {
		return
	}
	t.mu.Lock()
	if t.resuming.Load() {
		if !key {
			t.mu.Unlock()
			// A delta frame after the pause could not be decoded. Ask again:
			// the request setVisible made may have fallen in the throttle's
			// window of an earlier one (a new subscriber's), whose key frame
			// came while this copy was still hidden.
			t.up.requestKeyframe()
			return
		}
		// The packets skipped while hidden leave no gap: the receiver would
		// take them for losses and ask for them.
		if t.rw.started {
			t.rw.switchTo(src.SSRC, src.SequenceNumber, src.Timestamp, now)
		}
		t.resuming.Store(false)
	}
	seq, ts, ok := t.rw.rewrite(src.SSRC, src.SequenceNumber, src.Timestamp, now)
	t.mu.Unlock()
	if !ok {
		t.metrics.packetsDropped.Inc()
		return
	}
	h := &t.hdr
	fillHeader(h, src, b)
	h.SequenceNumber, h.Timestamp = seq, ts
	if _, err := b.writer.WriteRTP(h, payload); err != nil {
		t.metrics.packetsDropped.Inc()
		return
	}
	t.metrics.packetsForwarded.Inc()
	t.metrics.bytesForwarded.Add(float64(len(payload)))
	if t.bytesOut != nil {
		t.bytesOut.Add(uint64(len(payload)))
	}
}

// fillHeader sets the fields of h that are copied from src or fixed by the
// binding; the caller sets the sequence number and timestamp.
func fillHeader(h, src *rtp.Header, b *binding) {
	h.Version = 2
	h.Padding, h.PaddingSize = src.Padding, src.PaddingSize
	h.Marker = src.Marker
	h.PayloadType = b.pt
	h.SSRC = b.ssrc
	h.CSRC = src.CSRC
	b.exts.apply(h, src)
}
