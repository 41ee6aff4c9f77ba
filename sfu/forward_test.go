package sfu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// sinkWriter is the write side of a binding that keeps the last packet, so
// that the forwarding code can be measured and fuzzed without a network.
type sinkWriter struct {
	n       int
	header  rtp.Header
	payload []byte
}

func (s *sinkWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.n++
	s.header = *h
	s.payload = append(s.payload[:0], payload...)
	return len(payload), nil
}

func (s *sinkWriter) Write(b []byte) (int, error) { return len(b), nil }

// newForwardFixture builds a VP8 up-track with n subscribers writing to
// sinks.
func newForwardFixture(tb testing.TB, n int) (*UpTrack, []*sinkWriter) {
	tb.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		tb.Fatal(err)
	}
	epoch := time.Now()
	u := newUpTrack(upTrackParams{participantID: "p_pub", info: TrackInfo{TrackID: "v", Kind: "video", Source: "camera"},
		ssrc: 1111, codec: webrtc.RTPCodecParameters{PayloadType: 96,
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
		exts:      []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 1}},
		writeRTCP: func([]rtcp.Packet) error { return nil }, now: func() time.Duration { return time.Since(epoch) },
		keyframeInterval: time.Second, metrics: m})
	sinks := make([]*sinkWriter, n)
	for i := range sinks {
		sinks[i] = &sinkWriter{payload: make([]byte, 0, maxPacketSize)}
		d := newDownTrack(u, "p_sub", m, nil)
		d.bound.Store(&binding{ssrc: uint32(2000 + i), pt: 100, writer: sinks[i],
			exts: newExtMap(u.exts, []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 3}})})
		u.addDown(d)
	}
	return u, sinks
}

// testPacket is a VP8-sized packet with an audio level extension.
func testPacket(seq uint16) []byte {
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: 1111}
	_ = h.SetExtension(1, []byte{0x90})
	payload := bytes.Repeat([]byte{0xab}, 1100)
	b, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	return b
}

func TestForwardRewritesHeaderOnly(t *testing.T) {
	u, sinks := newForwardFixture(t, 2)
	var h rtp.Header
	pkt := testPacket(7)
	u.forward(u.layer(0), &h, pkt)
	for i, s := range sinks {
		if s.n != 1 {
			t.Fatalf("sink %d got %d packets, want 1", i, s.n)
		}
		got := s.header
		if got.SSRC != uint32(2000+i) || got.PayloadType != 100 || got.SequenceNumber != 7 || got.Timestamp != 21000 {
			t.Errorf("sink %d header %+v", i, got)
		}
		if ids := got.GetExtensionIDs(); len(ids) != 1 || ids[0] != 3 || got.GetExtension(3)[0] != 0x90 {
			t.Errorf("sink %d extensions %v, want the audio level as ID 3", i, ids)
		}
		if !bytes.Equal(s.payload, pkt[len(pkt)-1100:]) {
			t.Errorf("sink %d payload altered", i)
		}
	}
}

func TestForwardMalformed(t *testing.T) {
	valid := testPacket(1)
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"empty", nil},
		{"truncated header", valid[:7]},
		{"version 1", append([]byte{0x40}, valid[1:]...)},
		{"CSRC count 15 with 12 bytes", append([]byte{0x8f}, valid[1:12]...)},
		{"extension length past the end", []byte{0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 4, 87, 0xbe, 0xde, 0xff, 0xff, 1, 2}},
		{"pad count beyond payload", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 4, 87, 1, 2, 200}},
		{"pad count zero", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 4, 87, 1, 2, 0}},
		{"payload type not negotiated", append([]byte{0x80, 127}, valid[2:]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, sinks := newForwardFixture(t, 1)
			var h rtp.Header
			u.forward(u.layer(0), &h, tc.pkt)
			if sinks[0].n != 0 {
				t.Errorf("malformed packet forwarded")
			}
			if v := counterValue(t, u.metrics.packetsDropped); v != 1 {
				t.Errorf("dropped counter %v, want 1", v)
			}
		})
	}
}

// FuzzForward feeds arbitrary bytes to the forwarding path: it must never
// panic, and whatever it forwards keeps its payload byte for byte.
func FuzzForward(f *testing.F) {
	f.Add(testPacket(1))
	f.Add([]byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 4, 87, 1, 2, 2})
	f.Add([]byte{0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 4, 87, 0x10, 0, 0, 1, 0x10, 0x90, 0, 0})
	u, sinks := newForwardFixture(f, 1)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		sinks[0].n = 0
		var h rtp.Header
		u.forward(u.layer(0), &h, pkt)
		if sinks[0].n == 0 {
			return
		}
		var in rtp.Packet
		if err := in.Unmarshal(pkt); err != nil {
			t.Fatalf("forwarded a packet pion cannot parse: %v", err)
		}
		if !bytes.Equal(sinks[0].payload, in.Payload) {
			t.Fatalf("payload changed: %x -> %x", in.Payload, sinks[0].payload)
		}
	})
}

// BenchmarkForward measures the per-packet work of the up-track reader:
// parse the header, cache the packet, rewrite and write it for each
// subscriber. It must not allocate.
func BenchmarkForward(b *testing.B) {
	for _, subs := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			u, _ := newForwardFixture(b, subs)
			pkt := testPacket(0)
			var h rtp.Header
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				binary.BigEndian.PutUint16(pkt[2:], uint16(i))
				u.forward(u.layer(0), &h, pkt)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "packets/s")
		})
	}
}
