package e2ee

import (
	"crypto/ecdh"
	"crypto/sha256"
	"errors"
	"testing"
)

type peer struct {
	pid   string
	index uint8
	priv  *ecdh.PrivateKey
}

func newPeer(t *testing.T, pid string, index uint8) peer {
	t.Helper()
	d := sha256.Sum256([]byte(pid))
	priv, err := ecdh.P256().NewPrivateKey(d[:])
	if err != nil {
		t.Fatal(err)
	}
	return peer{pid: pid, index: index, priv: priv}
}

func (p peer) entry() Entry {
	pub := p.priv.PublicKey()
	return Entry{PID: p.pid, Index: p.index, ECDH: pub.Bytes(), Public: pub}
}

func TestRosterAccept(t *testing.T) {
	keys := testKeys(t, 1)
	self := newPeer(t, "p_self", 1)
	a, b, c := newPeer(t, "p_a", 2), newPeer(t, "p_b", 3), newPeer(t, "p_c", 3)
	r := NewRoster(keys, self.entry())
	ann := func(p peer) Announce { return keys.NewAnnounce(p.pid, p.index, p.priv.PublicKey()) }
	if _, ch, _, err := r.Accept("p_a", ann(a)); err != nil || ch != Added {
		t.Fatalf("first announce: %v %v", ch, err)
	}
	if _, ch, _, err := r.Accept("p_a", ann(a)); err != nil || ch != Unchanged {
		t.Fatalf("same announce again: %v %v", ch, err)
	}
	resumed := newPeer(t, "p_a-resumed", 2)
	resumed.pid = "p_a"
	if _, ch, _, err := r.Accept("p_a", ann(resumed)); err != nil || ch != Replaced {
		t.Fatalf("new key after resume: %v %v", ch, err)
	}
	tests := []struct {
		name string
		from string
		a    Announce
		want error
	}{
		{"other secret", "p_b", testKeys(t, 2).NewAnnounce("p_b", 3, b.priv.PublicKey()), ErrBadMAC},
		{"relayed from another pid", "p_x", ann(b), ErrWrongSender},
		{"self's index", "p_z", ann(peer{"p_z", 1, b.priv}), ErrDuplicateIndex},
		{"mac over another index", "p_b", func() Announce { x := ann(b); x.Index = 9; return x }(), ErrBadMAC},
	}
	for _, tt := range tests {
		if _, _, _, err := r.Accept(tt.from, tt.a); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, _, _, err := r.Accept("p_b", ann(b)); err != nil {
		t.Fatal(err)
	}
	// p_c claims p_b's index: both are out, p_b is dropped, and neither gets back in.
	_, _, dropped, err := r.Accept("p_c", ann(c))
	if !errors.Is(err, ErrDuplicateIndex) || dropped != "p_b" {
		t.Fatalf("duplicate index: %v, dropped %q", err, dropped)
	}
	if _, _, _, err := r.Accept("p_b", ann(b)); !errors.Is(err, ErrDuplicateIndex) {
		t.Errorf("p_b back while disputed: %v", err)
	}
	r.Remove("p_c")
	r.Remove("p_b")
	if _, ch, _, err := r.Accept("p_b", ann(b)); err != nil || ch != Added {
		t.Errorf("p_b after the dispute ended: %v %v", ch, err)
	}
	if got := len(r.Others()); got != 2 {
		t.Errorf("got %d others, want 2", got)
	}
}

// TestSafetyCodeAgrees: everyone with the same roster computes the same code, whatever the
// order of entries; a swapped key changes it.
func TestSafetyCodeAgrees(t *testing.T) {
	keys := testKeys(t, 1)
	ps := []peer{newPeer(t, "p_a", 1), newPeer(t, "p_b", 2), newPeer(t, "p_c", 3)}
	var codes []SafetyCode
	for i := range ps {
		r := NewRoster(keys, ps[i].entry())
		for j := len(ps) - 1; j >= 0; j-- {
			if j != i {
				if _, _, _, err := r.Accept(ps[j].pid, keys.NewAnnounce(ps[j].pid, ps[j].index, ps[j].priv.PublicKey())); err != nil {
					t.Fatal(err)
				}
			}
		}
		codes = append(codes, r.SafetyCode())
	}
	if codes[0] != codes[1] || codes[1] != codes[2] {
		t.Fatalf("codes differ: %v", codes)
	}
	swapped := ps[2].entry()
	swapped.ECDH = ps[0].entry().ECDH
	if ComputeSafetyCode("room", []Entry{ps[0].entry(), ps[1].entry(), swapped}) == codes[0] {
		t.Error("a swapped key kept the code")
	}
}

func TestSafetyCodeFormat(t *testing.T) {
	var c SafetyCode
	for i := range c {
		c[i] = 0xff
	}
	if got := c.Emoji(); got != [6]int{63, 63, 63, 63, 63, 63} {
		t.Errorf("emoji of all ones: %v", got)
	}
	// 0xffffffffffffffff mod 10^12 = 18446744073709551615 mod 10^12 = 073709551615.
	if got := c.String(); got != "0737 0955 1615" {
		t.Errorf("digits of all ones: %q", got)
	}
	c = SafetyCode{0b00000100, 0b00100000, 0b11000100, 0b00010100}
	if got := c.Emoji(); got != [6]int{1, 2, 3, 4, 5, 0} {
		t.Errorf("emoji of 000001 000010 000011 000100 000101: %v", got)
	}
}
