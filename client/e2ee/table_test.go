package e2ee

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"conclave/sframe"
)

// sealer encrypts frames as sender index would under sk.
func seal(t *testing.T, index uint8, sk SenderKey, frame []byte) []byte {
	t.Helper()
	s, err := sframe.NewSender(Suite, kidOf(index, sk.Gen, sk.Step), sk.Key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sframe.EncryptFrame(s, sframe.CodecOpus, frame)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func chain(t *testing.T, k []byte, n int) [][]byte {
	out := [][]byte{k}
	for range n {
		next, err := sframe.Ratchet(Suite, out[len(out)-1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, next)
	}
	return out
}

func TestRecvTableRatchet(t *testing.T) {
	const idx = 9
	c := chain(t, bytes.Repeat([]byte{1}, 16), 20)
	tests := []struct {
		name    string
		step    uint32 // the frame's step; the table holds step 2
		wantErr error
	}{
		{"held step", 2, nil},
		{"one ahead", 3, nil},
		{"eight ahead", 10, nil},
		{"nine ahead", 11, ErrNoKey},
		{"behind", 1, ErrNoKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := NewRecvTable()
			if err := tab.Set(idx, SenderKey{Gen: 5, Step: 2, Key: c[2]}, t0); err != nil {
				t.Fatal(err)
			}
			f := seal(t, idx, SenderKey{Gen: 5, Step: tt.step, Key: c[tt.step]}, []byte("hello"))
			out, kid, err := tab.Decrypt(sframe.CodecOpus, f, t0)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(out) != "hello" || kid.SenderIndex != idx || kid.Step != uint8(tt.step) {
				t.Fatalf("got %q %v %v", out, kid, err)
			}
		})
	}
}

// TestRecvTableNeverBackwards: once a frame moved the ratchet, an older key message is stale,
// the old step still decrypts for KeepOldFor and then not, and a forged KID ahead does not
// move anything.
func TestRecvTableNeverBackwards(t *testing.T) {
	const idx = 3
	c := chain(t, bytes.Repeat([]byte{2}, 16), 4)
	tab := NewRecvTable()
	_ = tab.Set(idx, SenderKey{Gen: 0, Step: 0, Key: c[0]}, t0)
	old := seal(t, idx, SenderKey{Key: c[0]}, []byte("old"))
	if _, _, err := tab.Decrypt(sframe.CodecOpus, seal(t, idx, SenderKey{Step: 2, Key: c[2]}, []byte("x")), t0); err != nil {
		t.Fatal(err)
	}
	if err := tab.Set(idx, SenderKey{Gen: 0, Step: 1, Key: c[1]}, t0); !errors.Is(err, ErrStale) {
		t.Errorf("older step after a ratchet: %v", err)
	}
	if _, _, err := tab.Decrypt(sframe.CodecOpus, old, t0.Add(time.Second)); err != nil {
		t.Errorf("old step within %v: %v", KeepOldFor, err)
	}
	tab.Expire(t0.Add(KeepOldFor))
	if _, _, err := tab.Decrypt(sframe.CodecOpus, seal(t, idx, SenderKey{Key: c[0]}, []byte("late")), t0.Add(KeepOldFor)); !errors.Is(err, ErrNoKey) {
		t.Errorf("old step after %v: %v", KeepOldFor, err)
	}
	forged := seal(t, idx, SenderKey{Step: 4, Key: bytes.Repeat([]byte{7}, 32)}, []byte("forged"))
	if _, _, err := tab.Decrypt(sframe.CodecOpus, forged, t0); !errors.Is(err, sframe.ErrAuth) {
		t.Errorf("forged frame ahead: %v", err)
	}
	if _, _, err := tab.Decrypt(sframe.CodecOpus, seal(t, idx, SenderKey{Step: 3, Key: c[3]}, []byte("y")), t0); err != nil {
		t.Errorf("a forged KID moved the ratchet: %v", err)
	}
}

// TestRecvTableGenerations: two generations are kept, a third drops the oldest, and an old
// generation's key message is stale; Forget drops everything of a sender.
func TestRecvTableGenerations(t *testing.T) {
	const idx = 4
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }
	tab := NewRecvTable()
	for g := range uint32(3) {
		if err := tab.Set(idx, SenderKey{Gen: g, Key: key(byte(g + 1))}, t0); err != nil {
			t.Fatal(err)
		}
	}
	frame := func(g uint32) []byte { return seal(t, idx, SenderKey{Gen: g, Key: key(byte(g + 1))}, []byte("f")) }
	if _, _, err := tab.Decrypt(sframe.CodecOpus, frame(0), t0); !errors.Is(err, ErrNoKey) {
		t.Errorf("generation 0 after 1 and 2: %v", err)
	}
	for _, g := range []uint32{1, 2} {
		if _, _, err := tab.Decrypt(sframe.CodecOpus, frame(g), t0); err != nil {
			t.Errorf("generation %d: %v", g, err)
		}
	}
	if err := tab.Set(idx, SenderKey{Gen: 0, Key: key(1)}, t0); !errors.Is(err, ErrStale) {
		t.Errorf("generation 0 again: %v", err)
	}
	if k, ok := tab.MsgKey(idx, 2, 3); !ok || len(k) != 32 {
		t.Errorf("msg key 3 steps ahead: %v", ok)
	}
	if _, ok := tab.MsgKey(idx, 2, 9); ok {
		t.Error("msg key 9 steps ahead")
	}
	snap := tab.Clone()
	tab.Forget(idx)
	if tab.Has(idx) {
		t.Error("Forget kept keys")
	}
	if _, _, err := snap.Decrypt(sframe.CodecOpus, frame(2), t0); err != nil {
		t.Errorf("clone lost a key: %v", err)
	}
}

// BenchmarkFrame measures one 1000-byte VP8 delta frame through the sframe Sender and a
// RecvTable, as the bots do per frame.
func BenchmarkFrame(b *testing.B) {
	sk := SenderKey{Key: bytes.Repeat([]byte{1}, 16)}
	s, _ := sframe.NewSender(Suite, kidOf(1, 0, 0), sk.Key)
	tab := NewRecvTable()
	_ = tab.Set(1, sk, t0)
	frame := append([]byte{0x31}, make([]byte, 999)...)
	var overhead int
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		enc, err := sframe.EncryptFrame(s, sframe.CodecVP8, frame)
		if err != nil {
			b.Fatal(err)
		}
		overhead = len(enc) - len(frame)
		if _, _, err := tab.Decrypt(sframe.CodecVP8, enc, t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(overhead), "overhead-bytes")
}
