package sfu

import (
	"testing"
	"time"
)

// pkt is one packet fed to a rewriter in a table test.
type pkt struct {
	ssrc uint32
	seq  uint16
	ts   uint32
	at   time.Duration
}

func TestRewriter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		in      []pkt
		wantSeq []uint16
		wantTS  []uint32
		wantOK  []bool
	}{
		{
			name:    "single source passes through",
			in:      []pkt{{1, 100, 1000, 0}, {1, 101, 1000, ms}, {1, 102, 4000, 33 * ms}},
			wantSeq: []uint16{100, 101, 102}, wantTS: []uint32{1000, 1000, 4000}, wantOK: []bool{true, true, true},
		},
		{
			name:    "sequence and timestamp wrap around",
			in:      []pkt{{1, 65534, 0xfffffff0, 0}, {1, 65535, 0xfffffff0, 0}, {1, 0, 0x10, 10 * ms}, {1, 1, 0x10, 10 * ms}},
			wantSeq: []uint16{65534, 65535, 0, 1}, wantTS: []uint32{0xfffffff0, 0xfffffff0, 0x10, 0x10},
			wantOK: []bool{true, true, true, true},
		},
		{
			name:    "reordered packet keeps its number",
			in:      []pkt{{1, 10, 0, 0}, {1, 12, 0, 0}, {1, 11, 0, 0}, {1, 13, 0, 0}},
			wantSeq: []uint16{10, 12, 11, 13}, wantTS: []uint32{0, 0, 0, 0}, wantOK: []bool{true, true, true, true},
		},
		{
			name: "source switch continues without a gap",
			// 100 ms after the last packet at 90 kHz: a step of 9000 ticks.
			in:      []pkt{{1, 500, 9000, 0}, {1, 501, 9000, 0}, {2, 7, 123456, 100 * ms}, {2, 8, 126456, 133 * ms}},
			wantSeq: []uint16{500, 501, 502, 503}, wantTS: []uint32{9000, 9000, 18000, 21000},
			wantOK: []bool{true, true, true, true},
		},
		{
			name:    "switch across the wrap",
			in:      []pkt{{1, 65535, 0xffffff00, 0}, {2, 40000, 5, 10 * ms}, {2, 40001, 905, 20 * ms}},
			wantSeq: []uint16{65535, 0, 1}, wantTS: []uint32{0xffffff00, 644, 1544}, // 0xffffff00 + 900 and + 1800, mod 2^32
			wantOK: []bool{true, true, true},
		},
		{
			name:    "switch with no elapsed time still advances the timestamp",
			in:      []pkt{{1, 1, 50, 0}, {2, 9, 7, 0}},
			wantSeq: []uint16{1, 2}, wantTS: []uint32{50, 51}, wantOK: []bool{true, true},
		},
		{
			name:    "late packet of the new source from before the switch is dropped",
			in:      []pkt{{1, 1, 0, 0}, {2, 50, 0, ms}, {2, 49, 0, ms}, {2, 51, 0, ms}},
			wantSeq: []uint16{1, 2, 0, 3}, wantTS: []uint32{0, 90, 0, 90}, wantOK: []bool{true, true, false, true},
		},
		{
			name:    "switch back to an old source",
			in:      []pkt{{1, 10, 0, 0}, {2, 90, 0, 10 * ms}, {1, 11, 0, 20 * ms}},
			wantSeq: []uint16{10, 11, 12}, wantTS: []uint32{0, 900, 1800}, wantOK: []bool{true, true, true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRewriter(90000)
			for i, p := range tc.in {
				seq, ts, ok := r.rewrite(p.ssrc, p.seq, p.ts, p.at)
				if ok != tc.wantOK[i] || (ok && (seq != tc.wantSeq[i] || ts != tc.wantTS[i])) {
					t.Errorf("packet %d: got (%d, %d, %v), want (%d, %d, %v)", i, seq, ts, ok,
						tc.wantSeq[i], tc.wantTS[i], tc.wantOK[i])
				}
			}
		})
	}
}

func TestRewriterSource(t *testing.T) {
	r := newRewriter(48000)
	r.rewrite(1, 100, 0, 0)
	r.rewrite(1, 101, 960, 20*time.Millisecond)
	r.rewrite(2, 7, 0, 40*time.Millisecond) // out 102
	r.rewrite(2, 8, 960, 60*time.Millisecond)
	tests := []struct {
		name   string
		out    uint16
		ssrc   uint32
		seq    uint16
		wantOK bool
	}{
		{"current source", 103, 2, 8, true},
		{"first packet of current source", 102, 2, 7, true},
		{"previous source is gone", 101, 0, 0, false},
		{"not sent yet", 104, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ssrc, seq, ok := r.source(tc.out)
			if ok != tc.wantOK || (ok && (ssrc != tc.ssrc || seq != tc.seq)) {
				t.Errorf("source(%d) = (%d, %d, %v), want (%d, %d, %v)", tc.out, ssrc, seq, ok, tc.ssrc, tc.seq, tc.wantOK)
			}
		})
	}
	if got, want := r.timestamp(960), uint32(960+1920); got != want {
		t.Errorf("timestamp(960) = %d, want %d", got, want)
	}
}

func TestSeqNewer(t *testing.T) {
	tests := []struct {
		a, b uint16
		want bool
	}{
		{1, 0, true}, {0, 1, false}, {0, 65535, true}, {65535, 0, false}, {5, 5, false},
		{0x8000, 0, false}, {0x7fff, 0, true},
	}
	for _, tc := range tests {
		if got := seqNewer(tc.a, tc.b); got != tc.want {
			t.Errorf("seqNewer(%d, %d) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzRewriter feeds arbitrary packet sequences from two sources and checks
// the invariants subscribers rely on: packets of one source keep their
// spacing, and a switch continues right after the highest number sent.
func FuzzRewriter(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newRewriter(90000)
		var at time.Duration
		var (
			started          bool
			ssrc0            uint32
			seq0, out0, high uint16
		)
		for ; len(data) >= 8; data = data[8:] {
			ssrc := uint32(data[0] & 1)
			seq := uint16(data[1])<<8 | uint16(data[2])
			ts := uint32(data[3])<<24 | uint32(data[4])<<16 | uint32(data[5])<<8 | uint32(data[6])
			at += time.Duration(data[7]) * time.Millisecond
			out, _, ok := r.rewrite(ssrc, seq, ts, at)
			switch {
			case !started:
				if !ok || out != seq {
					t.Fatalf("first packet: out %d ok %v, want %d", out, ok, seq)
				}
			case ssrc != ssrc0:
				if !ok || out != high+1 {
					t.Fatalf("switch: out %d ok %v, want %d", out, ok, high+1)
				}
			case ok && out-out0 != seq-seq0:
				t.Fatalf("spacing changed: in %d->%d, out %d->%d", seq0, seq, out0, out)
			}
			if !ok {
				continue
			}
			if !started || ssrc != ssrc0 || seqNewer(out, high) {
				high = out
			}
			started, ssrc0, seq0, out0 = true, ssrc, seq, out
		}
	})
}
