package sfu

import (
	"testing"

	"github.com/pion/rtp"
)

// vp8Packet is a packet of a VP8 frame with a clear descriptor: a key frame's
// first packet (S=1, PID=0, P bit 0) or a delta frame's.
func vp8Packet(seq uint16, key bool) []byte {
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: 1111}
	payload := []byte{0x10, 0x01, 0xaa, 0xbb} // S=1, PID=0; frame tag with the P bit set (delta)
	if key {
		payload[1] = 0x00
	}
	b, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	return b
}

// TestHiddenVideoPausesAndResumesOnAKeyFrame: a subscriber that reports a
// 0x0 tile gets nothing of that video; once the tile is back, sending
// restarts at the next key frame (a delta frame could not be decoded) and
// the output sequence goes on without a gap, so the subscriber never asks
// for the packets it skipped. Another subscriber is unaffected.
func TestHiddenVideoPausesAndResumesOnAKeyFrame(t *testing.T) {
	u, sinks := newForwardFixture(t, 2)
	downs := *u.downs.Load()
	var h rtp.Header
	seq := uint16(100)
	send := func(key bool) {
		u.forward(u.layer(0), &h, vp8Packet(seq, key))
		seq++
	}
	send(true)
	send(false)
	if sinks[0].n != 2 || sinks[0].header.SequenceNumber != 101 {
		t.Fatalf("before hiding: %d packets, last seq %d", sinks[0].n, sinks[0].header.SequenceNumber)
	}

	downs[0].hide()
	for range 5 {
		send(false)
	}
	send(true)
	if sinks[0].n != 2 {
		t.Errorf("hidden: %d packets sent, want none after the 2 before", sinks[0].n)
	}
	if sinks[1].n != 8 {
		t.Errorf("the other subscriber got %d packets, want all 8", sinks[1].n)
	}

	asked := counterValue(t, u.metrics.keyframeRequests)
	downs[0].setTarget(0)
	send(false) // a delta frame: not decodable after the pause, held back
	if sinks[0].n != 2 {
		t.Errorf("resumed on a delta frame: %d packets", sinks[0].n)
	}
	// The resume asks for a key frame, and asks again while only delta frames
	// come (the throttle may have swallowed the first request).
	if n := counterValue(t, u.metrics.keyframeRequests) - asked; n != 2 {
		t.Errorf("%.0f key frame requests on resuming and one delta frame, want 2", n)
	}
	send(true)
	send(false)
	if sinks[0].n != 4 {
		t.Fatalf("after the key frame: %d packets, want 4", sinks[0].n)
	}
	if got := sinks[0].header.SequenceNumber; got != 103 {
		t.Errorf("output sequence after the pause: last %d, want 103 (no gap after 101)", got)
	}
}

func TestVideoSizeMessage(t *testing.T) {
	for _, tc := range []struct {
		msg string
		ok  bool
	}{
		{`{"type":"video-size","trackId":"t1","width":640,"height":360}`, true},
		{`{"type":"video-size","trackId":"t1","width":0,"height":0}`, true},
		{`{"type":"video-size","trackId":"","width":1,"height":1}`, false},
		{`{"type":"video-size","trackId":"t1","width":-1,"height":1}`, false},
		{`{"type":"video-size","trackId":"t1","width":1,"height":99999}`, false},
	} {
		_, err := decodeClientMessage([]byte(tc.msg))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.msg, err, tc.ok)
		}
	}
}
