package client

import (
	"testing"
	"time"
)

func TestRecvStats(t *testing.T) {
	start := time.Unix(1000, 0)
	s := newRecvStats(start)
	a := RemoteTrack{ParticipantID: "p_a", TrackID: "va", Kind: "video"}
	b := RemoteTrack{ParticipantID: "p_a", TrackID: "sa", Kind: "video", Source: "screen"}
	c := RemoteTrack{ParticipantID: "p_b", TrackID: "ab", Kind: "audio"}
	ca, cb, cc := s.counter(a), s.counter(b), s.counter(c)
	s.packet(ca, start.Add(250*time.Millisecond), 10, 100)
	s.packet(ca, start.Add(300*time.Millisecond), 11, 50)
	s.packet(cb, start.Add(200*time.Millisecond), 7, 10)
	s.packet(cc, start.Add(400*time.Millisecond), 1, 3)
	cb.ended.Store(true)

	st := s.snapshot()
	if st.Packets != 4 || st.Bytes != 163 {
		t.Errorf("got totals %d packets %d bytes, want 4 and 163", st.Packets, st.Bytes)
	}
	if st.JoinLatency != 250*time.Millisecond {
		t.Errorf("got join latency %v, want 250ms (the first packet counted)", st.JoinLatency)
	}
	if len(st.Remote) != 3 || st.Remote[0].TrackID != "sa" || st.Remote[2].ParticipantID != "p_b" {
		t.Errorf("got order %+v, want p_a/sa, p_a/va, p_b/ab", st.Remote)
	}

	tests := []struct {
		name, participant, kind string
		want                    TrackStats
	}{
		{"two video tracks", "p_a", "video", TrackStats{ParticipantID: "p_a", Kind: "video", TrackID: "va",
			Packets: 3, Bytes: 160, FirstPacket: start.Add(200 * time.Millisecond), LastSeq: 11, Expected: 3}},
		{"audio", "p_b", "audio", TrackStats{ParticipantID: "p_b", Kind: "audio", TrackID: "ab",
			Packets: 1, Bytes: 3, FirstPacket: start.Add(400 * time.Millisecond), LastSeq: 1, Expected: 1}},
		{"nothing", "p_b", "video", TrackStats{ParticipantID: "p_b", Kind: "video"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sum(st.Remote, tt.participant, tt.kind)
			if !got.FirstPacket.Equal(tt.want.FirstPacket) {
				t.Errorf("got first packet %v, want %v", got.FirstPacket, tt.want.FirstPacket)
			}
			got.FirstPacket, tt.want.FirstPacket = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	// A track received again (after a resume) counts on and is no longer ended.
	if again := s.counter(b); again != cb || again.ended.Load() {
		t.Errorf("got a new or still-ended counter for a track seen before")
	}
}

func TestExpectedSpansWraparoundAndLoss(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint16
		want uint64
	}{
		{"in order", []uint16{10, 11, 12}, 3},
		{"one lost", []uint16{10, 12}, 3},
		{"wraparound", []uint16{65534, 65535, 0, 1}, 4},
		{"late packet does not grow the span", []uint16{10, 12, 11}, 3},
		{"a packet from before the first", []uint16{10, 9, 11}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recvCounter
			for _, s := range tt.seqs {
				r.add(time.Now(), s, 100)
			}
			if got := r.snapshot().Expected; got != tt.want {
				t.Fatalf("got expected %d, want %d", got, tt.want)
			}
		})
	}
}
