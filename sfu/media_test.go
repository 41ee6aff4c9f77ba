package sfu

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// testSource sends synthetic RTP on one published track: sequential
// sequence numbers and a payload derived from (track, seq), so a receiver
// can check every byte without knowing what was sent.
type testSource struct {
	track    *webrtc.TrackLocalStaticRTP
	sender   *webrtc.RTPSender
	kind     string
	interval time.Duration
	next     atomic.Uint32 // next sequence number
	done     chan struct{}
	once     sync.Once
	wg       sync.WaitGroup
}

// payloadSize varies packet sizes, as real media does.
func payloadSize(kind string, seq uint16) int {
	if kind == "video" {
		return 700 + int(seq%400)
	}
	return 60 + int(seq%80)
}

// payloadFor is the payload of packet seq of track id: seq, then bytes
// from a generator seeded by both.
func payloadFor(id, kind string, seq uint16) []byte {
	b := make([]byte, payloadSize(kind, seq))
	binary.BigEndian.PutUint16(b, seq)
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(seq)))
	for i := 2; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkPayload returns the original sequence number of a received payload
// and whether every byte is what the publisher sent.
func checkPayload(id, kind string, payload []byte) (uint16, bool) {
	if len(payload) < 2 {
		return 0, false
	}
	seq := binary.BigEndian.Uint16(payload)
	return seq, bytes.Equal(payload, payloadFor(id, kind, seq))
}

func (s *testSource) run() {
	defer s.wg.Done()
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		seq := uint16(s.next.Add(1) - 1)
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 960}
		if s.kind == "video" {
			h.Timestamp, h.Marker = uint32(seq/3)*3000, seq%3 == 2
		}
		_ = s.track.WriteRTP(&rtp.Packet{Header: h, Payload: payloadFor(s.track.ID(), s.kind, seq)})
	}
}

// publish adds a VP8 and an Opus track, announces them and offers.
func (p *testPeer) publish() {
	p.t.Helper()
	kinds := []struct {
		kind, source string
		codec        webrtc.RTPCodecCapability
		interval     time.Duration
	}{
		{"video", "camera", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 5 * time.Millisecond},
		{"audio", "microphone", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, 20 * time.Millisecond},
	}
	for _, k := range kinds {
		track, err := webrtc.NewTrackLocalStaticRTP(k.codec, k.kind+"-"+p.name, "stream-"+p.name)
		if err != nil {
			p.t.Fatal(err)
		}
		p.sendJSON(map[string]any{"type": "publish", "trackId": track.ID(), "kind": k.kind, "source": k.source})
		src := &testSource{track: track, kind: k.kind, interval: k.interval, done: make(chan struct{})}
		p.do(func() {
			tr, err := p.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				p.errorf("add track: %v", err)
				return
			}
			src.sender = tr.Sender()
			p.needOffer = true
		})
		p.mu.Lock()
		p.sent = append(p.sent, src)
		p.mu.Unlock()
		src.wg.Add(2)
		go src.run()
		go func() { // drain RTCP, or pion's interceptors stall
			defer src.wg.Done()
			for {
				if _, _, err := src.sender.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
}

// received is what one subscriber got of one remote track.
type received struct {
	kind  string
	id    string
	ssrc  uint32 // from the SDP
	mu    sync.Mutex
	seqs  map[uint16]bool
	ssrcs map[uint32]int
	bad   int
	vp8   []seenVP8 // packets of test VP8 frames (simulcast_test.go)
	ended chan struct{}
}

func (r *received) count(from, to uint16) (got int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := from; s != to; s++ {
		if r.seqs[s] {
			got++
		}
	}
	return got
}

func (p *testPeer) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Receiver() == receiver {
			mid = tr.Mid()
		}
	}
	p.mu.Lock()
	ot, ok := p.mids[mid]
	r := &received{kind: remote.Kind().String(), id: ot.TrackID, ssrc: uint32(remote.SSRC()),
		seqs: map[uint16]bool{}, ssrcs: map[uint32]int{}, ended: make(chan struct{})}
	if ok {
		p.recv[ot.ParticipantID+"/"+ot.TrackID] = r
	}
	p.mu.Unlock()
	if !ok {
		p.errorf("%s: track on unknown mid %q", p.name, mid)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(r.ended)
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			seq, good := checkPayload(r.id, r.kind, pkt.Payload)
			r.mu.Lock()
			if f, ok := readTestVP8(pkt); ok {
				r.vp8 = append(r.vp8, f)
				good, seq = true, pkt.SequenceNumber
			}
			r.ssrcs[pkt.SSRC]++
			if good {
				r.seqs[seq] = true
			} else {
				r.bad++
			}
			r.mu.Unlock()
		}
	}()
}

// missing lists the first sequence numbers in [from, to) not received.
func (r *received) missing(from, to uint16) []uint16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint16
	for s := from; s != to && len(out) < 20; s++ {
		if !r.seqs[s] {
			out = append(out, s)
		}
	}
	return out
}

// track returns what p received of publisher's track, or nil.
func (p *testPeer) track(publisher, trackID string) *received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.recv[publisher+"/"+trackID]
}
