package sfu

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"golang.org/x/time/rate"
)

// rtcpReader is the RTCP side of a subscriber's sender (*webrtc.RTPSender).
type rtcpReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
}

// maxNACKsPerPacket bounds the retransmissions one RTCP packet can trigger,
// so a forged NACK cannot turn one small packet into a burst; resends per
// second and per down-track are bounded too, so a flood of NACKs costs a
// subscriber its own repairs, not the SFU's time. Real losses need far
// less: 10 % of 250 packets/s is 25 resends/s.
const (
	maxNACKsPerPacket = 64
	resendsPerSecond  = 300
	resendBurst       = 100
)

// rtcpLoop is the down-track's RTCP goroutine. It must drain the sender's
// RTCP, or pion's report interceptors stall. It answers NACKs from the
// up-track's cache and turns PLI and FIR into a (throttled) keyframe
// request to the publisher. It returns when the sender stops, or when
// halted is set and its read fails.
func (t *DownTrack) rtcpLoop(r rtcpReader, halted *atomic.Bool) {
	buf := make([]byte, maxPacketSize)
	rt := newRetransmitter()
	for {
		n, _, err := r.Read(buf)
		if err != nil {
			if endOfTrack(err) || halted.Load() {
				return
			}
			continue // unparseable RTCP from the subscriber; keep draining
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			t.handleRTCP(p, rt)
		}
	}
}

func (t *DownTrack) handleRTCP(p rtcp.Packet, rt *retransmitter) {
	switch p := p.(type) {
	case *rtcp.TransportLayerNack:
		budget := maxNACKsPerPacket
		for _, pair := range p.Nacks {
			pair.Range(func(seq uint16) bool {
				t.metrics.nacksReceived.Inc()
				if rt.limit.Allow() {
					t.retransmit(rt, seq)
				}
				budget--
				return budget > 0
			})
			if budget <= 0 {
				return
			}
		}
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		i := t.cur.Load()
		if i < 0 {
			i = t.target.Load()
		}
		if i >= 0 {
			t.up.requestKeyframe(int(i))
		}
	case *rtcp.TransportLayerCC:
		if t.bwe != nil {
			t.bwe.feedback(p, t.up.now())
		}
	}
}

// retransmitter holds the RTCP goroutine's scratch space for resends.
type retransmitter struct {
	limit  *rate.Limiter
	pkt    []byte
	rtx    []byte
	src    rtp.Header
	out    rtp.Header
	twcc   [2]byte
	rtxSeq uint16
}

func newRetransmitter() *retransmitter {
	return &retransmitter{limit: rate.NewLimiter(resendsPerSecond, resendBurst),
		pkt: make([]byte, maxPacketSize), rtx: make([]byte, maxPacketSize+2),
		out: rtp.Header{Extensions: make([]rtp.Extension, 0, maxForwardedExtensions+2)}}
}

// retransmit resends the packet the subscriber knows as outSeq, from the
// up-track's cache, as RTX (RFC 4588) when the subscriber negotiated it and
// on the media stream otherwise.
func (t *DownTrack) retransmit(rt *retransmitter, outSeq uint16) {
	b := t.bound.Load()
	if b == nil {
		return
	}
	t.mu.Lock()
	ssrc, seq, ok := t.rw.source(outSeq)
	tsOffset := t.rw.timestamp(0)
	ids := t.ids
	t.mu.Unlock()
	l := t.up.layerBySSRC(ssrc)
	if !ok || l == nil {
		return
	}
	n := l.cache.load(seq, rt.pkt)
	if n == 0 {
		return
	}
	hl, err := rt.src.Unmarshal(rt.pkt[:n])
	if err != nil {
		return
	}
	payload, ok := rtpPayload(&rt.src, rt.pkt[:n], hl)
	if !ok {
		return
	}
	if t.payload[l.index] != nil {
		// The picture numbers as first sent: the cache holds the
		// publisher's packet, and rt.pkt is our copy of it.
		if d, ok := parseVP8(payload); ok {
			pid, bits, tl0 := readVP8IDs(payload, d)
			pid, tl0 = ids.out(pid, tl0, bits)
			writeVP8IDs(payload, d, pid, tl0)
		}
	}
	h := &rt.out
	fillHeader(h, &rt.src, b)
	h.SequenceNumber, h.Timestamp = outSeq, rt.src.Timestamp+tsOffset
	if b.rtxSSRC != 0 {
		// RFC 4588 section 4: the original sequence number, then the
		// original payload; the padding is not repeated.
		binary.BigEndian.PutUint16(rt.rtx, outSeq)
		payload = rt.rtx[:2+copy(rt.rtx[2:], payload)]
		h.SSRC, h.PayloadType, h.SequenceNumber = b.rtxSSRC, b.rtxPT, rt.rtxSeq
		h.Padding, h.PaddingSize = false, 0
		rt.rtxSeq++
	}
	t.stampTWCC(h, b, &rt.twcc, len(payload), t.up.now())
	if _, err := b.writer.WriteRTP(h, payload); err == nil {
		t.metrics.retransmitted.Inc()
	}
}
