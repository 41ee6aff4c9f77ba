package sfu

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/test"
	"github.com/pion/webrtc/v4"
)

// rawTrack is a TrackLocal that hands its writer to the test, so that it
// can send RTP headers TrackLocalStaticRTP would fix up (payload type,
// SSRC, padding).
type rawTrack struct {
	mu   sync.Mutex
	w    webrtc.TrackLocalWriter
	ssrc uint32
	pt   uint8
}

func (r *rawTrack) ID() string                { return "video-mallory" }
func (r *rawTrack) StreamID() string          { return "stream-mallory" }
func (r *rawTrack) RID() string               { return "" }
func (r *rawTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeVideo }
func (r *rawTrack) Unbind(webrtc.TrackLocalContext) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w = nil
	return nil
}

func (r *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range ctx.CodecParameters() {
		if c.MimeType == webrtc.MimeTypeVP8 {
			r.w, r.ssrc, r.pt = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(c.PayloadType)
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

func (r *rawTrack) write(h rtp.Header, payload []byte) {
	r.mu.Lock()
	w := r.w
	r.mu.Unlock()
	if w != nil {
		_, _ = w.WriteRTP(&h, payload)
	}
}

// badRTP returns packet i of the attack: hostile headers that still get
// through the publisher's stack and SRTP. What does not cannot reach the
// SFU from a peer at all: SRTP must parse a header to authenticate it, so
// truncated headers and CSRC or extension lengths past the end die there;
// version 1 packets fall outside the RTP range of the transport demux
// (RFC 7983); pion refuses to send a pad count beyond the payload or an
// extension profile SRTP cannot protect. TestForwardMalformed feeds those
// straight to the forwarding code instead.
func (r *rawTrack) badRTP(i int, rng *rand.Rand) (rtp.Header, []byte) {
	h := rtp.Header{Version: 2, PayloadType: r.pt, SequenceNumber: uint16(100 + i), Timestamp: uint32(i) * 3000, SSRC: r.ssrc}
	payload := make([]byte, 10+rng.IntN(100))
	for j := range payload {
		payload[j] = byte(rng.Uint32())
	}
	switch i % 10 {
	case 1: // P bit with a pad count beyond the payload
		h.Padding, h.PaddingSize = true, 0
		payload[len(payload)-1] = 250
	case 2:
		h.Version = 1
	case 3:
		h.PayloadType = 127 // not negotiated
	case 4: // an extension profile nobody negotiated
		h.Extension, h.ExtensionProfile = true, 0x1234
		_ = h.SetExtension(0, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	case 5:
		h.CSRC = make([]uint32, 15)
	case 6:
		payload = nil
	case 7:
		payload = make([]byte, 1400)
	case 8:
		if i < 200 {
			h.SSRC = rng.Uint32() // streams nobody declared
		}
	case 9: // timestamps all over the place (sequence numbers must stay
		// in order, or SRTP replay protection drops what follows)
		h.Timestamp, h.Marker = rng.Uint32(), true
	}
	return h, payload
}

// badRTCP returns hostile RTCP aimed at the SSRCs mallory receives (its
// down-tracks at the SFU) and at its own.
func badRTCP(i int, ssrcs []uint32, own uint32) []byte {
	media := ssrcs[i%len(ssrcs)]
	be := binary.BigEndian
	pkt := func(first, pt byte, words uint16, body ...uint32) []byte {
		b := []byte{first, pt, 0, 0}
		be.PutUint16(b[2:], words)
		for _, v := range body {
			b = be.AppendUint32(b, v)
		}
		return b
	}
	switch i % 9 {
	case 0: // length field far beyond the packet
		return pkt(0x80, 200, 100, own, 0)
	case 1: // receiver report, then a zero-length sub-packet
		return append(pkt(0x80, 201, 1, own), 0x80, 202, 0, 0)
	case 2: // NACK claiming ten FCIs, carrying one
		return pkt(0x81, 205, 10, own, media, 0x00010000)
	case 3: // TWCC with a status count of 65535 and no chunks
		return pkt(0x8f, 205, 4, own, media, 0x0001ffff, 0)
	case 4: // REMB announcing 255 SSRCs, carrying one
		return pkt(0x8f, 206, 5, own, 0, 0x52454d42, 0xff000000|1000, media)
	case 5: // valid NACK storm: 64 pairs of 17 packets
		b := pkt(0x81, 205, 2+64, own, media)
		for j := range 64 {
			b = be.AppendUint32(b, uint32(j*17)<<16|0xffff)
		}
		return b
	case 6: // valid PLI: throttled upstream
		return pkt(0x81, 206, 2, own, media)
	case 7: // BYE claiming 31 sources
		return pkt(0x9f, 203, 1, own)
	default: // SDES chunk whose item runs past the end
		return pkt(0x81, 202, 2, own, 0x01ff4142)
	}
}

func TestMalformedMediaLeavesOthersAlone(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	s, url := newTestSFU(t, Config{})
	peers := []*testPeer{dialPeer(t, url, "s2", "ada", ""), dialPeer(t, url, "s2", "bob", "")}
	for _, p := range peers {
		p.publish()
	}
	mallory := dialPeer(t, url, "s2", "mallory", "")
	raw := &rawTrack{}
	mallory.sendJSON(map[string]any{"type": "publish", "trackId": raw.ID(), "kind": "video", "source": "camera"})
	mallory.do(func() {
		if _, err := mallory.pc.AddTransceiverFromTrack(raw, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Errorf("add raw track: %v", err)
		}
		mallory.needOffer = true
	})
	waitFlowing(t, peers)
	var ssrcs []uint32
	eventually(t, 10*time.Second, "mallory receives ada and bob", func() bool {
		ssrcs = ssrcs[:0]
		for _, p := range peers {
			for _, k := range peerTracks {
				if r := mallory.track(p.id, k+"-"+p.name); r != nil {
					ssrcs = append(ssrcs, r.ssrc)
				}
			}
		}
		return len(ssrcs) == 4
	})
	for i := range 20 { // a valid start, so that the SFU publishes the track
		raw.write(rtp.Header{Version: 2, PayloadType: raw.pt, SequenceNumber: uint16(i), SSRC: raw.ssrc}, []byte{0x10, 0, 0x9d})
		time.Sleep(5 * time.Millisecond)
	}

	from := window(peers)
	rng := rand.New(rand.NewPCG(1, 2))
	dtls := mallory.pc.SCTP().Transport()
	for i := range 2000 {
		raw.write(raw.badRTP(i, rng))
		if i%4 == 0 {
			pkt := rtcp.RawPacket(badRTCP(i/4, ssrcs, raw.ssrc))
			_, _ = dtls.WriteRTCP([]rtcp.Packet{&pkt})
		}
		if i%20 == 0 { // 2000 packets in about a second: hostile, not a CPU benchmark
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(time.Second)
	checkDelivery(t, peers, from, 0.99)
	t.Logf("dropped %v, nacked %v, resent %v, keyframe requests %v, sent %v", counterValue(t, s.metrics.packetsDropped), counterValue(t, s.metrics.nacksReceived), counterValue(t, s.metrics.retransmitted), counterValue(t, s.metrics.keyframeRequests), counterValue(t, s.metrics.keyframeSent))
	// The attack reached the SFU and took the paths it aimed at.
	m := s.metrics
	if v := counterValue(t, m.packetsDropped); v < 100 {
		t.Errorf("%v packets dropped, want the malformed ones (>= 100)", v)
	}
	if v := counterValue(t, m.nacksReceived); v < 64 {
		t.Errorf("%v NACKed packets, want the NACK storm (>= 64)", v)
	}
	if req, sent := counterValue(t, m.keyframeRequests), counterValue(t, m.keyframeSent); req <= sent {
		t.Errorf("%v keyframe requests, %v sent upstream: the throttle did nothing", req, sent)
	}
}
