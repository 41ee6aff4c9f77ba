package sfu

import (
	"testing"
)

func TestFreeIndex(t *testing.T) {
	tests := []struct {
		name string
		held []uint8
		want uint8
	}{
		{"empty room", nil, 1},
		{"next after a run", []uint8{1, 2, 3}, 4},
		{"lowest gap", []uint8{1, 3, 4}, 2},
		{"gap at the start", []uint8{2, 3}, 1},
		{"all 255 taken", allIndexes(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom("r")
			for i, idx := range tc.held {
				id := "p_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				r.members[id] = &Participant{id: id, index: idx}
			}
			if got := r.freeIndexLocked(); got != tc.want {
				t.Errorf("free index %d, want %d", got, tc.want)
			}
		})
	}
}

func allIndexes() []uint8 {
	out := make([]uint8, 0, MaxSenderIndex)
	for i := 1; i <= MaxSenderIndex; i++ {
		out = append(out, uint8(i))
	}
	return out
}

// TestSenderIndex: indexes are the lowest free, announced in the welcome
// and in participant objects, reused after a leave and kept by a resume.
func TestSenderIndex(t *testing.T) {
	_, url := newTestSFU(t, Config{})
	a, b, c := dialRaw(t, url), dialRaw(t, url), dialRaw(t, url)
	var cToken string
	for i, cl := range []*rawClient{a, b, c} {
		w := cl.join("idx", "n")
		if w.Index != i+1 {
			t.Fatalf("participant %d got index %d, want %d", i, w.Index, i+1)
		}
		cToken = w.ResumeToken
	}
	joined := a.expect("participant-joined", func(m serverMsg) bool { return m.Type == "participant-joined" })
	if joined.Participant == nil || joined.Participant.Index != 2 {
		t.Errorf("participant-joined %+v, want index 2", joined.Participant)
	}
	b.send(`{"type":"leave"}`)
	a.expect("participant-left", func(m serverMsg) bool { return m.Type == "participant-left" })
	d := dialRaw(t, url)
	w := d.join("idx", "d")
	if w.Index != 2 {
		t.Errorf("joiner after a leave got index %d, want the freed 2", w.Index)
	}
	got := map[int]bool{}
	for _, p := range w.Participants {
		got[p.Index] = true
	}
	if len(got) != 2 || !got[1] || !got[3] {
		t.Errorf("welcome roster indexes %v, want 1 and 3", got)
	}

	// A resume keeps the index even though a lower one is free now.
	a.send(`{"type":"leave"}`)
	d.expect("a leaves", func(m serverMsg) bool { return m.Type == "participant-left" })
	_ = c.conn.CloseNow()
	resume := dialRaw(t, url)
	resume.send(`{"type":"join","v":1,"room":"idx","name":"c","resume":"` + cToken + `"}`)
	rw := resume.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
	if !rw.Resumed || rw.Index != 3 {
		t.Errorf("resumed welcome: resumed %v index %d, want true and 3", rw.Resumed, rw.Index)
	}
	upd := d.expect("participant-updated", func(m serverMsg) bool { return m.Type == "participant-updated" })
	if upd.Participant == nil || upd.Participant.Index != 3 {
		t.Errorf("participant-updated %+v, want index 3", upd.Participant)
	}
}
