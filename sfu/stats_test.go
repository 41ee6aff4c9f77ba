package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestRelayedPair(t *testing.T) {
	c := func(typ webrtc.ICECandidateType) *webrtc.ICECandidate { return &webrtc.ICECandidate{Typ: typ} }
	host, srflx, prflx, relay := webrtc.ICECandidateTypeHost, webrtc.ICECandidateTypeSrflx,
		webrtc.ICECandidateTypePrflx, webrtc.ICECandidateTypeRelay
	tests := []struct {
		name string
		pair *webrtc.ICECandidatePair
		want bool
	}{
		{"no pair", nil, false},
		{"host to host", webrtc.NewICECandidatePair(c(host), c(host)), false},
		{"host to srflx", webrtc.NewICECandidatePair(c(host), c(srflx)), false},
		{"host to peer reflexive", webrtc.NewICECandidatePair(c(host), c(prflx)), false},
		{"client on TURN", webrtc.NewICECandidatePair(c(host), c(relay)), true},
		{"local relay", webrtc.NewICECandidatePair(c(relay), c(host)), true},
		{"half a pair", &webrtc.ICECandidatePair{Local: c(relay)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := relayedPair(tc.pair); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrafficRates(t *testing.T) {
	var tr traffic
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at             time.Duration
		addIn, addOut  uint64
		wantIn, wantOu int64
	}{
		{0, 0, 0, 0, 0},                         // starts the window
		{500 * time.Millisecond, 1000, 0, 0, 0}, // too soon: previous rates
		{time.Second, 1000, 500, 16000, 4000},   // 2000 B in, 500 B out over 1 s
		{1500 * time.Millisecond, 9999, 0, 16000, 4000},
		{3 * time.Second, 1, 0, 40000, 0}, // 10000 B over 2 s
	}
	for i, s := range steps {
		tr.in.Add(s.addIn)
		tr.out.Add(s.addOut)
		in, out := tr.rates(t0.Add(s.at))
		if in != s.wantIn || out != s.wantOu {
			t.Errorf("step %d: rates %d/%d, want %d/%d", i, in, out, s.wantIn, s.wantOu)
		}
	}
}
