package sframe

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
)

var allSuites = []Suite{AES128CTRHMACSHA256_80, AES128CTRHMACSHA256_64, AES128CTRHMACSHA256_32, AES128GCMSHA256, AES256GCMSHA512}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }

func newPair(t testing.TB, s Suite, kid uint64) (*Sender, *Receiver) {
	t.Helper()
	snd, err := NewSender(s, kid, testKey(7))
	if err != nil {
		t.Fatal(err)
	}
	rcv := NewReceiver(s)
	if err := rcv.AddKey(kid, testKey(7)); err != nil {
		t.Fatal(err)
	}
	return snd, rcv
}

func TestRoundTrip(t *testing.T) {
	for _, s := range allSuites {
		for _, size := range []int{0, 1, 15, 16, 17, 1200, 30000} {
			snd, rcv := newPair(t, s, 4711)
			pt := bytes.Repeat([]byte{0x5a}, size)
			md := []byte("meta")
			ct, err := snd.Encrypt(nil, md, pt)
			if err != nil {
				t.Fatal(err)
			}
			if want := size + 1 + 2 + s.TagLen(); len(ct) != want {
				t.Errorf("suite %d size %d: %d bytes, want %d", s, size, len(ct), want)
			}
			got, kid, err := rcv.Decrypt([]byte("dst:"), md, ct)
			if err != nil || kid != 4711 || !bytes.Equal(got, append([]byte("dst:"), pt...)) {
				t.Errorf("suite %d size %d: decrypt kid %d err %v", s, size, kid, err)
			}
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	ct, err := snd.Encrypt(nil, nil, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newPair(t, AES128GCMSHA256, 65)
	ct65, _ := other.Encrypt(nil, nil, []byte("hello"))
	wrong := NewReceiver(AES128GCMSHA256)
	if err := wrong.AddKey(64, testKey(8)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		r    *Receiver
		md   []byte
		in   []byte
		want error
	}{
		{"empty", rcv, nil, nil, ErrMalformedHeader},
		{"truncated header", rcv, nil, []byte{0x88}, ErrMalformedHeader},
		{"header only", rcv, nil, ct[:2], ErrAuth},
		{"unknown kid", rcv, nil, ct65, ErrUnknownKID},
		{"wrong key", wrong, nil, ct, ErrAuth},
		{"metadata changed", rcv, []byte{1}, ct, ErrAuth},
	}
	for _, c := range cases {
		if _, _, err := c.r.Decrypt(nil, c.md, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if !rcv.HasKey(64) {
		t.Error("HasKey(64) false before RemoveKey")
	}
	rcv.RemoveKey(64)
	if rcv.HasKey(64) {
		t.Error("HasKey(64) true after RemoveKey")
	}
	if _, _, err := rcv.Decrypt(nil, nil, ct); !errors.Is(err, ErrUnknownKID) {
		t.Errorf("removed key: %v", err)
	}
}

// TestTamper flips every bit of every byte of a framed VP8 key frame (clear prefix, header,
// ciphertext, tag); each must fail authentication (or, for the header, name another key).
func TestTamper(t *testing.T) {
	for _, s := range []Suite{AES128GCMSHA256, AES128CTRHMACSHA256_80} {
		snd, rcv := newPair(t, s, 100)
		frame := append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, bytes.Repeat([]byte{3}, 40)...)
		enc, err := EncryptFrame(snd, CodecVP8, frame)
		if err != nil {
			t.Fatal(err)
		}
		for i := range enc {
			for bit := range 8 {
				bad := bytes.Clone(enc)
				bad[i] ^= 1 << bit
				_, _, err := DecryptFrame(rcv, CodecVP8, bad)
				if !errors.Is(err, ErrAuth) && !errors.Is(err, ErrUnknownKID) && !errors.Is(err, ErrMalformedHeader) {
					t.Fatalf("suite %d byte %d bit %d: %v", s, i, bit, err)
				}
				if i >= 13 && !errors.Is(err, ErrAuth) { // past prefix (10) and header (3)
					t.Fatalf("suite %d byte %d bit %d: %v, want ErrAuth", s, i, bit, err)
				}
			}
		}
		if got, _, err := DecryptFrame(rcv, CodecVP8, enc); err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("untampered frame: %v", err)
		}
	}
}

func TestCounterNeverReused(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	seen := make(map[uint64][]byte)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				ct, err := snd.Encrypt(nil, nil, []byte("x"))
				if err != nil {
					t.Error(err)
					return
				}
				h, _, err := ParseHeader(ct)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[h.CTR] != nil {
					t.Errorf("counter %d reused", h.CTR)
				}
				seen[h.CTR] = ct
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Every frame decrypts. In counter order: the goroutines' frames
	// interleave arbitrarily, and one that a slow goroutine held back
	// would fall behind the receiver's replay window.
	for _, ctr := range slices.Sorted(maps.Keys(seen)) {
		if _, _, err := rcv.Decrypt(nil, nil, seen[ctr]); err != nil {
			t.Errorf("decrypt counter %d: %v", ctr, err)
		}
	}
	if snd.Frames() != 2000 {
		t.Errorf("Frames() = %d, want 2000", snd.Frames())
	}
	if len(seen) != 2000 {
		t.Errorf("%d distinct counters, want 2000", len(seen))
	}
}

func TestCounterExhausted(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	snd.ctr = math.MaxUint64 - 1
	for _, want := range []uint64{math.MaxUint64 - 1, math.MaxUint64} {
		ct, err := snd.Encrypt(nil, nil, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if h, _, _ := ParseHeader(ct); h.CTR != want {
			t.Errorf("ctr %d, want %d", h.CTR, want)
		}
		if _, _, err := rcv.Decrypt(nil, nil, ct); err != nil {
			t.Errorf("ctr %d: %v", want, err)
		}
	}
	if snd.Frames() != math.MaxUint64 {
		t.Errorf("Frames() after wrap = %d", snd.Frames())
	}
	for range 2 {
		if _, err := snd.Encrypt(nil, nil, []byte("x")); !errors.Is(err, ErrCounterExhausted) {
			t.Fatalf("after wrap: %v, want ErrCounterExhausted", err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := NewSender(AES128GCMSHA256, 1, make([]byte, 15)); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
	if _, err := NewSender(Suite(9), 1, testKey(1)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Errorf("suite 9: %v", err)
	}
	if err := NewReceiver(Suite(0)).AddKey(1, testKey(1)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Errorf("receiver suite 0: %v", err)
	}
}

func TestOverhead(t *testing.T) {
	cases := []struct {
		kid, ctr uint64
		want     int
	}{
		{64, 0, 1 + 1 + 0 + 16},
		{16383, 7, 1 + 2 + 0 + 16},
		{16383, 255, 1 + 2 + 1 + 16},
		{16383, 65535, 1 + 2 + 2 + 16},
		{16383, 1<<24 - 1, 1 + 2 + 3 + 16},
	}
	ctr, _ := newPair(t, AES128CTRHMACSHA256_80, 64)
	if got := ctr.Overhead(); got != 1+1+10 || ctr.Suite() != AES128CTRHMACSHA256_80 {
		t.Errorf("suite 1 overhead %d suite %d", got, ctr.Suite())
	}
	for _, c := range cases {
		snd, _ := newPair(t, AES128GCMSHA256, c.kid)
		snd.ctr = c.ctr
		got := snd.Overhead()
		ct, _ := snd.Encrypt(nil, nil, make([]byte, 100))
		if got != c.want || len(ct)-100 != c.want {
			t.Errorf("kid %d ctr %d: overhead %d / %d, want %d", c.kid, c.ctr, got, len(ct)-100, c.want)
		}
	}
}
