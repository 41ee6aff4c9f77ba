package sframe

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWindow(t *testing.T) {
	steps := []struct {
		ctr  uint64
		want bool
	}{
		{5, true}, {5, false}, {4, true}, {4, false}, {6, true}, {1000, true},
		{3, true}, // 997 behind, never seen, still inside the window
		{3, false}, {1029, true}, {5, false} /* 1024 behind: too old */, {6, false} /* seen */, {7, true},
		{10000, true}, {8977, true}, {8976, false}, {9999, true}, {10000, false},
		{1 << 40, true}, {1<<40 - 1, true}, {1<<40 - 1024, false},
	}
	var w window
	for i, s := range steps {
		if got := w.accept(s.ctr); got != s.want {
			t.Fatalf("step %d ctr %d: accept %v, want %v", i, s.ctr, got, s.want)
		}
	}
}

func TestReceiverReplay(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	var frames [][]byte
	for range 3 {
		ct, _ := snd.Encrypt(nil, nil, []byte("f"))
		frames = append(frames, ct)
	}
	for _, i := range []int{2, 0, 1} { // reordering is fine
		if _, _, err := rcv.Decrypt(nil, nil, frames[i]); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if _, _, err := rcv.Decrypt(nil, nil, frames[1]); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	// A tampered frame must not advance the window.
	late, _ := snd.Encrypt(nil, nil, []byte("g"))
	bad := append([]byte(nil), late...)
	bad[len(bad)-1] ^= 1
	if _, _, err := rcv.Decrypt(nil, nil, bad); !errors.Is(err, ErrAuth) {
		t.Fatalf("tampered: %v", err)
	}
	if _, _, err := rcv.Decrypt(nil, nil, late); err != nil {
		t.Fatalf("genuine after tampered: %v", err)
	}
	// Re-adding the key (a new base key for the same KID) resets the window.
	if err := rcv.AddKey(64, testKey(7)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rcv.Decrypt(nil, nil, frames[0]); err != nil {
		t.Fatalf("after AddKey: %v", err)
	}
}

// TestReplayConcurrent decrypts one frame from many goroutines at once: exactly one wins.
func TestReplayConcurrent(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	for range 50 {
		ct, _ := snd.Encrypt(nil, nil, []byte("race"))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, _, err := rcv.Decrypt(nil, nil, ct)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, ErrReplay):
					t.Errorf("decrypt: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d goroutines decrypted the same frame", wins.Load())
		}
	}
}
