package client_test

import (
	"crypto/sha256"
	"testing"
	"time"
)

// TestCompare shows the forwarding check is not vacuous: it sees drops and altered payloads
// whatever the sequence number offset.
func TestCompare(t *testing.T) {
	t0 := time.Unix(0, 0)
	var sent []pktRec
	for i := range 200 {
		sent = append(sent, pktRec{seq: uint16(65500 + i), at: t0.Add(time.Duration(i) * 10 * time.Millisecond),
			sum: sha256.Sum256([]byte{byte(i), byte(i >> 8)})})
	}
	forward := func(offset uint16, keep func(i int) bool, alter func(i int) bool) []pktRec {
		var out []pktRec
		for i, p := range sent {
			if !keep(i) {
				continue
			}
			p.seq += offset
			if alter(i) {
				p.sum[0] ^= 1
			}
			out = append(out, p)
		}
		return out
	}
	all := func(int) bool { return true }
	none := func(int) bool { return false }
	tests := []struct {
		name         string
		recv         []pktRec
		wantMatched  int
		wantMismatch int
	}{
		{"exact", forward(0, all, none), 200, 0},
		{"exact with offset", forward(12345, all, none), 200, 0},
		{"every tenth lost", forward(7, func(i int) bool { return i%10 != 5 }, none), 180, 0},
		{"two altered", forward(7, all, func(i int) bool { return i == 50 || i == 150 }), 198, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := compare(sent, tt.recv, 0, 0)
			if d.window != 200 || d.matched != tt.wantMatched || d.mismatch != tt.wantMismatch {
				t.Errorf("got %v (window %d), want %d/200 matched, %d mismatches", d, d.window, tt.wantMatched, tt.wantMismatch)
			}
		})
	}
}
