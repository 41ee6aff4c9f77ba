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
// The readers of the up-track's encodings call writeRTP; the RTCP
// goroutine (rtcp.go) answers NACKs. Both go through the rewriter, which mu
// guards. Of a simulcast track it forwards one encoding, cur, and moves to
// target at target's next key frame (select.go chooses target).
type DownTrack struct {
	up           *UpTrack
	subscriberID string
	metrics      *metrics
	bwe          *estimator // the subscriber's; nil: no transport-cc numbers

	bound atomic.Pointer[binding]

	// Scratch space per encoding, each owned by that encoding's reader:
	// the header, the transport-cc number and, for simulcast VP8, the
	// payload whose picture numbers are rewritten.
	hdr     [maxLayers]rtp.Header
	twcc    [maxLayers][2]byte
	payload [maxLayers][]byte

	// bytesOut counts the payload bytes sent, for the subscriber's
	// dashboard entry; set before the track is bound (nil: not counted).
	bytesOut *atomic.Uint64

	mu  sync.Mutex // guards rw and ids, and changes of cur
	rw  rewriter
	ids vp8IDs

	// cur is the encoding forwarded now, -1 while none is (hidden, or
	// waiting for the key frame to start or resume on). target is the one
	// wanted, -1 when the subscriber shows no tile for the video.
	cur, target atomic.Int32

	sel layerChoice // owned by the subscriber's goroutine (select.go)
}

// binding is what negotiation with the subscriber decided.
type binding struct {
	ssrc, rtxSSRC uint32
	pt, rtxPT     uint8
	writer        webrtc.TrackLocalWriter
	exts          extMap
	twccID        uint8 // transport-cc extension ID; 0: not negotiated
}

var _ webrtc.TrackLocal = (*DownTrack)(nil)

func newDownTrack(up *UpTrack, subscriberID string, m *metrics, bwe *estimator) *DownTrack {
	t := &DownTrack{up: up, subscriberID: subscriberID, metrics: m, bwe: bwe, rw: newRewriter(up.codec.ClockRate)}
	for i := range t.hdr {
		t.hdr[i].Extensions = make([]rtp.Extension, 0, maxForwardedExtensions+2)
	}
	if up.simulcast {
		// Starts at a key frame of the encoding select.go picks first.
		t.cur.Store(-1)
		t.target.Store(-1)
		if up.vp8 {
			for i := range t.payload {
				t.payload[i] = make([]byte, maxPacketSize)
			}
		}
	}
	return t
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
		exts: newExtMap(t.up.exts, ctx.HeaderExtensions()), twccID: twccExtID(ctx.HeaderExtensions())}
	if rtxPT != 0 && ctx.SSRCRetransmission() != 0 {
		b.rtxSSRC, b.rtxPT = uint32(ctx.SSRCRetransmission()), rtxPT
	}
	t.bound.Store(b)
	t.up.addDown(t)
	t.metrics.downTracks.Inc()
	// A new subscriber can decode nothing before the next keyframe.
	if i := t.target.Load(); i >= 0 {
		t.up.requestKeyframe(int(i))
	}
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

// hide stops the down-track while the subscriber shows no tile for it;
// setTarget resumes it (from a key frame). Safe from any goroutine.
func (t *DownTrack) hide() {
	t.mu.Lock()
	t.target.Store(-1)
	t.cur.Store(-1)
	t.mu.Unlock()
}

// setTarget makes the encoding at index i the one to forward, from its next
// key frame on, which it asks the publisher for.
func (t *DownTrack) setTarget(i int) {
	if t.target.Swap(int32(i)) == int32(i) {
		return
	}
	t.up.requestKeyframe(i)
}

// writeRTP forwards one packet of the up-track's encoding l if l is the
// one this copy sends: same payload, same marker, padding and CSRCs;
// rewritten SSRC, payload type, sequence number, timestamp, extension IDs
// and, after a change of encoding, VP8 picture numbers. key says whether
// the packet starts a key frame. Called only by l's reader.
func (t *DownTrack) writeRTP(l *layer, src *rtp.Header, payload []byte, key bool, now time.Duration) {
	b := t.bound.Load()
	i := int32(l.index)
	if b == nil || (t.cur.Load() != i && t.target.Load() != i) {
		return
	}
	t.mu.Lock()
	if t.cur.Load() != i {
		if t.target.Load() != i {
			t.mu.Unlock()
			return
		}
		if !key {
			t.mu.Unlock()
			// A delta frame of the new encoding could not be decoded. Ask
			// again: the request made on the change may have fallen in the
			// throttle's window of an earlier one (a new subscriber's), whose
			// key frame came before this copy wanted it.
			t.up.requestKeyframe(l.index)
			return
		}
		t.switchLocked(l, src, payload, now)
	}
	seq, ts, ok := t.rw.rewrite(src.SSRC, src.SequenceNumber, src.Timestamp, now)
	if ok && t.payload[l.index] != nil {
		payload = t.renumberLocked(l, payload)
	}
	t.mu.Unlock()
	if !ok {
		t.metrics.packetsDropped.Inc()
		return
	}
	h := &t.hdr[l.index]
	fillHeader(h, src, b)
	h.SequenceNumber, h.Timestamp = seq, ts
	t.stampTWCC(h, b, &t.twcc[l.index], len(payload), now)
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

// switchLocked makes l, whose key frame starts with this packet, the
// encoding forwarded. The packets skipped before (another encoding's, or
// none while hidden) leave no gap: the receiver would take them for losses.
func (t *DownTrack) switchLocked(l *layer, src *rtp.Header, payload []byte, now time.Duration) {
	if t.rw.started {
		t.rw.switchTo(src.SSRC, src.SequenceNumber, src.Timestamp, now)
	}
	if t.up.simulcast {
		t.metrics.layerSwitches.Inc()
	}
	if t.payload[l.index] != nil {
		if d, ok := parseVP8(payload); ok {
			pid, _, tl0 := readVP8IDs(payload, d)
			t.ids.switchTo(pid, tl0)
		}
	}
	t.cur.Store(int32(l.index))
}

// renumberLocked returns payload with its VP8 picture numbers continued
// (vp8ids.go), in l's scratch buffer. A payload it cannot parse is sent as
// it is.
func (t *DownTrack) renumberLocked(l *layer, payload []byte) []byte {
	d, ok := parseVP8(payload)
	if !ok || (d.pidLen == 0 && d.tl0 == 0) || len(payload) > maxPacketSize {
		return payload
	}
	pid, bits, tl0 := readVP8IDs(payload, d)
	pid, tl0 = t.ids.out(pid, tl0, bits)
	out := t.payload[l.index][:len(payload)]
	copy(out, payload)
	writeVP8IDs(out, d, pid, tl0)
	return out
}

// stampTWCC numbers the packet for the subscriber's bandwidth estimate,
// when transport-cc was negotiated. buf holds the extension's bytes until
// the packet is written.
func (t *DownTrack) stampTWCC(h *rtp.Header, b *binding, buf *[2]byte, payloadLen int, now time.Duration) {
	if b.twccID == 0 || t.bwe == nil {
		return
	}
	seq := t.bwe.sent(payloadLen+rtpOverhead, now)
	buf[0], buf[1] = byte(seq>>8), byte(seq)
	_ = h.SetExtension(b.twccID, buf[:])
}

// rtpOverhead approximates the bytes a packet carries besides its payload
// (RTP header with extensions, SRTP tag), for the bandwidth estimate.
const rtpOverhead = 12 + 12 + 10

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
