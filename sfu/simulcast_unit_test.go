package sfu

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/prometheus/client_golang/prometheus"
)

// FuzzVP8Descriptor: the descriptor parser and the picture renumbering read
// untrusted payloads; they must never panic, and a renumbered payload keeps
// its length and everything but the numbers.
func FuzzVP8Descriptor(f *testing.F) {
	for _, seed := range [][]byte{nil, {0x10}, {0x90, 0xc0, 0x81, 0x05, 0x11, 0x00}, {0x90, 0xe0, 0x05, 0x11, 0x20},
		testVP8(1, 300, 7, true), testVP8(0, 5, 1, false), {0x80}, {0x80, 0x80}, {0x90, 0x40}} {
		f.Add(seed, uint16(17), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, pid uint16, tl0 uint8) {
		_, _, _ = vp8KeyframeSize(b)
		d, ok := parseVP8(b)
		if !ok {
			return
		}
		if d.size > len(b) || d.pid+d.pidLen > len(b) || d.tl0 >= len(b) && d.tl0 != 0 {
			t.Fatalf("descriptor %+v outside a %d-byte payload", d, len(b))
		}
		out := append([]byte(nil), b...)
		writeVP8IDs(out, d, pid&0x7fff, tl0)
		gotPID, bits, gotTL0 := readVP8IDs(out, d)
		if bits == 15 && gotPID != pid&0x7fff || bits == 7 && gotPID != pid&0x7f || d.tl0 != 0 && gotTL0 != tl0 {
			t.Fatalf("wrote pid %d tl0 %d, read %d (%d bits) %d", pid, tl0, gotPID, bits, gotTL0)
		}
	})
}

func TestVP8KeyframeSize(t *testing.T) {
	for layer, want := range testLayerWidths {
		w, h, ok := vp8KeyframeSize(testVP8(layer, 1, 0, true))
		if !ok || int(w) != want || int(h) != want*9/16 {
			t.Errorf("layer %d: %dx%d %v, want %dx%d", layer, w, h, ok, want, want*9/16)
		}
	}
	if _, _, ok := vp8KeyframeSize(testVP8(0, 1, 0, false)); ok {
		t.Error("a delta frame has a size")
	}
}

func TestVP8IDsContinueAcrossSwitch(t *testing.T) {
	var v vp8IDs
	// The first source's numbers pass through unchanged.
	for pid := uint16(32760); pid != 5; pid = (pid + 1) & 0x7fff {
		if o, _ := v.out(pid, 9, 15); o != pid {
			t.Fatalf("before any switch: pid %d out as %d", pid, o)
		}
	}
	// Out of order, an older picture keeps its number and does not move lastPID.
	if o, _ := v.out(2, 9, 15); o != 2 || v.lastPID != 4 {
		t.Fatalf("late picture 2: out %d, last %d", o, v.lastPID)
	}
	v.switchTo(1000, 200)
	if o, tl0 := v.out(1000, 200, 15); o != 5 || tl0 != 10 {
		t.Errorf("first picture after the switch: pid %d tl0 %d, want 5 10", o, tl0)
	}
	if o, tl0 := v.out(1001, 200, 15); o != 6 || tl0 != 10 {
		t.Errorf("second: pid %d tl0 %d, want 6 10", o, tl0)
	}
	// A 7-bit source wraps in its own space.
	v.switchTo(126, 0)
	if o, _ := v.out(127, 0, 7); o != 8 {
		t.Errorf("7-bit picture after a switch: %d, want 8", o)
	}
}

func TestChooseHysteresis(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	up := newUpTrack(upTrackParams{participantID: "p", info: TrackInfo{TrackID: "v", Kind: "video"}, rid: "q",
		now: func() time.Duration { return 0 }, keyframeInterval: time.Second, metrics: m,
		writeRTCP: func([]rtcp.Packet) error { return nil }})
	d := newDownTrack(up, "s", up.metrics, nil)
	s := time.Second
	steps := []struct {
		at     time.Duration
		choice int
		want   int32
	}{
		{1 * s, 1, 1},     // nothing forwarded yet: straight there
		{2 * s, 2, 1},     // up waits for the hold...
		{3 * s, 2, 1},     //
		{4 * s, 2, 2},     // ...of 2 s
		{5 * s, 0, 0},     // down at once; 1 s after going up: the hold doubles
		{6 * s, 2, 0},     //
		{9 * s, 2, 0},     // 3 s: not yet
		{10 * s, 2, 2},    // 4 s
		{11 * s, 1, 1},    // down again soon after: 8 s
		{12 * s, 2, 1},    //
		{19 * s, 2, 1},    //
		{20 * s, 2, 2},    // 8 s
		{90 * s, 2, 2},    // a stable minute...
		{91 * s, 1, 1},    // (down)
		{92 * s, 2, 1},    // ...but this down came 71 s after the last up: hold stays
		{100 * s, 2, 2},   //
		{100*s + 1, 2, 2}, //
		{200 * s, 2, 2},   // a long stable run resets the hold
		{201 * s, 1, 1},   //
		{202 * s, 2, 1},   //
		{204 * s, 2, 2},   // 2 s again
	}
	d.cur.Store(0) // forwarding has started
	for _, st := range steps {
		d.choose(st.choice, st.at)
		if got := d.target.Load(); got != st.want {
			t.Fatalf("at %v choosing %d: target %d, want %d (hold %v)", st.at, st.choice, got, st.want, d.sel.hold)
		}
	}
}

// feedbackFor builds the transport-cc report of packets seq..seq+n-1,
// arriving at arrive(i) (µs; negative: lost).
func feedbackFor(seq uint16, n int, arrive func(i int) int64) *rtcp.TransportLayerCC {
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: seq, PacketStatusCount: uint16(n), ReferenceTime: 1}
	last := int64(64_000)
	for i := range n {
		a := arrive(i)
		if a < 0 {
			fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 1})
			continue
		}
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedLargeDelta, RunLength: 1})
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: a - last})
		last = a
	}
	return fb
}

// TestEstimatorFollowsTheLink sends 1200-byte packets at 2 Mbit/s through a
// simulated link: first a wide one, where the estimate grows, then one of
// 500 kbit/s with a queue, where it falls near 500 kbit/s.
func TestEstimatorFollowsTheLink(t *testing.T) {
	e := newEstimator()
	const size, gap = 1200, 4800 * time.Microsecond // 2 Mbit/s
	var now time.Duration = time.Second
	linkFree := int64(0) // µs when the simulated link is next idle
	run := func(dur time.Duration, kbit int64) {
		for end := now + dur; now < end; {
			first := uint16(0)
			var sentAt []int64
			for i := range 20 { // 20 packets, then a report
				s := e.sent(size, now)
				if i == 0 {
					first = s
				}
				sentAt = append(sentAt, int64(now/time.Microsecond))
				now += gap
			}
			fb := feedbackFor(first, len(sentAt), func(i int) int64 {
				if kbit == 0 {
					return 64_000 + sentAt[i] + 20_000 // a fixed 20 ms path
				}
				start := max(linkFree, sentAt[i])
				if start-sentAt[i] > 100_000 {
					return -1 // a 100 ms queue is full: tail drop
				}
				linkFree = start + (size+34)*8*1000/kbit
				return 64_000 + linkFree + 20_000
			})
			e.feedback(fb, now)
		}
	}
	run(5*time.Second, 0)
	if got := e.estimate(); got < bweInitial {
		t.Errorf("on a free link the estimate fell to %d", got)
	}
	free := e.estimate()
	run(5*time.Second, 500)
	got := e.estimate()
	t.Logf("estimate: %d bit/s on a free link, %d under a 500 kbit/s limit", free, got)
	if got < 300_000 || got > 700_000 {
		t.Errorf("under a 500 kbit/s limit the estimate is %d", got)
	}
}

func TestEstimatorIgnoresUnknownAndMalformed(t *testing.T) {
	e := newEstimator()
	before := e.estimate()
	// Numbers never sent, more received symbols than deltas, a run past the count.
	e.feedback(feedbackFor(500, 10, func(int) int64 { return 70_000 }), time.Second)
	e.feedback(&rtcp.TransportLayerCC{BaseSequenceNumber: 0, PacketStatusCount: 5, PacketChunks: []rtcp.PacketStatusChunk{
		&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 9000}}}, time.Second)
	if e.estimate() != before {
		t.Errorf("estimate moved from %d to %d on reports about nothing we sent", before, e.estimate())
	}
}

func TestRecentSpeakersAreDominantOnes(t *testing.T) {
	r := newRoom("r")
	for _, id := range []string{"a", "b", "c", "d"} {
		r.members[id] = &Participant{id: id}
	}
	for _, id := range []string{"a", "b", "a", "c", "gone", "d", "d"} {
		r.speakers.noteRecentLocked(id)
	}
	if got := r.recentSpeakers(3); !slices.Equal(got, []string{"d", "c", "a"}) {
		t.Errorf("recent 3: %v, want [d c a] (a member who left is skipped)", got)
	}
	if got := r.recentSpeakers(-1); got != nil {
		t.Errorf("last-N off: %v", got)
	}
}
