package e2ee

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"conclave/sframe"
)

// countingReader is a deterministic "random" source: SHA-256 of a counter.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := 0; i < len(p); {
		r.n++
		h := sha256.Sum256([]byte{r.n})
		i += copy(p[i:], h[:])
	}
	return len(p), nil
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newTestPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := NewPolicy(&countingReader{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyJoinRatchets(t *testing.T) {
	p := newTestPolicy(t)
	k0 := p.Current()
	if k0.Gen != 0 || k0.Step != 0 || len(k0.Key) != 16 {
		t.Fatalf("start: %+v", k0)
	}
	d, err := p.Add("p_old", false, t0)
	if err != nil || len(d) != 1 || d[0].To != "p_old" || !bytes.Equal(d[0].Key.Key, k0.Key) {
		t.Fatalf("present participant gets the current key: %+v %v", d, err)
	}
	d, err = p.Add("p_new", true, t0)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sframe.Ratchet(Suite, k0.Key)
	if len(d) != 1 || d[0].To != "p_new" || d[0].Key.Step != 1 || !bytes.Equal(d[0].Key.Key, want) {
		t.Fatalf("newcomer gets step 1 only: %+v", d)
	}
	if c := p.Current(); c.Step != 1 || c.Gen != 0 {
		t.Errorf("current after a newcomer: %+v, want 0/1 at once", c)
	}
}

func TestPolicyLeave(t *testing.T) {
	tests := []struct {
		name     string
		acks     []string // who acks the new generation
		switchAt time.Duration
	}{
		{"all ack", []string{"p_a", "p_b"}, 1500 * time.Millisecond},
		{"one silent", []string{"p_a"}, 1500*time.Millisecond + SwitchTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPolicy(t)
			for _, pid := range []string{"p_a", "p_b", "p_gone"} {
				if _, err := p.Add(pid, false, t0); err != nil {
					t.Fatal(err)
				}
			}
			p.Remove("p_gone", t0)
			// A second leave 500 ms later restarts the debounce.
			if _, err := p.Add("p_gone2", true, t0); err != nil {
				t.Fatal(err)
			}
			p.Remove("p_gone2", t0.Add(500*time.Millisecond))
			if d, sw, _ := p.Tick(t0.Add(1499*time.Millisecond), 0); d != nil || sw {
				t.Fatalf("before the debounce: %v %v", d, sw)
			}
			d, sw, err := p.Tick(t0.Add(1500*time.Millisecond), 0)
			if err != nil || sw || len(d) != 2 || d[0].To != "p_a" || d[1].To != "p_b" || d[0].Key.Gen != 1 {
				t.Fatalf("new generation to the two left: %+v %v %v", d, sw, err)
			}
			if p.Current().Gen != 0 {
				t.Fatal("switched before any ack")
			}
			switched := false
			for _, a := range tt.acks {
				switched = p.Ack(a, 1, 0)
			}
			if !switched {
				_, switched, _ = p.Tick(t0.Add(tt.switchAt-time.Millisecond), 0)
				if switched {
					t.Fatal("switched before the timeout")
				}
				_, switched, _ = p.Tick(t0.Add(tt.switchAt), 0)
			}
			if !switched || p.Current().Gen != 1 || p.Current().Step != 0 || !bytes.Equal(p.Current().Key, d[0].Key.Key) {
				t.Fatalf("switch: %v %+v", switched, p.Current())
			}
		})
	}
}

func TestPolicyRotation(t *testing.T) {
	tests := []struct {
		name   string
		after  time.Duration
		frames uint64
		rotate bool
	}{
		{"young key", time.Minute, 100, false},
		{"ten minutes", RotateEvery, 0, true},
		{"many frames", time.Second, RotateFrames, true},
	}
	for _, tt := range tests {
		p := newTestPolicy(t)
		_, _ = p.Add("p_a", false, t0)
		d, _, err := p.Tick(t0.Add(tt.after), tt.frames)
		if err != nil || (len(d) == 1) != tt.rotate {
			t.Errorf("%s: got %+v %v, rotate %v", tt.name, d, err, tt.rotate)
		}
	}
	// With nobody to wait for, a new generation is used at once.
	p := newTestPolicy(t)
	if _, sw, _ := p.Tick(t0.Add(RotateEvery), 0); !sw || p.Current().Gen != 1 {
		t.Errorf("alone: switched %v to %+v", sw, p.Current())
	}
	if next := p.NextDeadline(); !next.Equal(t0.Add(2 * RotateEvery)) {
		t.Errorf("next deadline %v", next)
	}
}

// TestPolicyNewcomerDuringSwitch: a participant verified while a generation is pending gets
// both the current step and the pending generation, and the switch waits for its ack.
func TestPolicyNewcomerDuringSwitch(t *testing.T) {
	p := newTestPolicy(t)
	_, _ = p.Add("p_a", false, t0)
	_, _ = p.Add("p_b", false, t0)
	p.Remove("p_b", t0)
	if _, _, err := p.Tick(t0.Add(time.Second), 0); err != nil {
		t.Fatal(err)
	}
	d, _ := p.Add("p_c", true, t0.Add(1100*time.Millisecond))
	if len(d) != 2 || d[0].Key.Gen != 0 || d[0].Key.Step != 1 || d[1].Key.Gen != 1 {
		t.Fatalf("deliveries: %+v", d)
	}
	if p.Ack("p_a", 1, 0) {
		t.Fatal("switched without p_c's ack")
	}
	if !p.Ack("p_c", 1, 0) || p.Current().Gen != 1 {
		t.Fatalf("after both acks: %+v", p.Current())
	}
	if err := p.Restart(t0.Add(2 * time.Second)); err != nil || p.Current().Gen != 2 {
		t.Fatalf("restart: %v %+v", err, p.Current())
	}
}
