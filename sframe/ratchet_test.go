package sframe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestRatchet(t *testing.T) {
	// Expected values computed independently with Python's hmac module (RFC 5869 by hand).
	cases := []struct {
		suite Suite
		want  string
	}{
		{AES128GCMSHA256, "1f3b880c19197332f097ffb0073b24248de5c3c459621b9edf5145c4a148e036"},
		{AES128CTRHMACSHA256_80, "1f3b880c19197332f097ffb0073b24248de5c3c459621b9edf5145c4a148e036"},
		{AES256GCMSHA512, "52a1ab672dff59345fd3d1536d82fb10879daaa658390abaa9a66a4c3f76e651" +
			"b015fefd18dce6fb716081fe00ed909b94c79f1457b859599b86bee96526d82e"},
	}
	for _, c := range cases {
		got, err := Ratchet(c.suite, testKey(7))
		if err != nil || hex.EncodeToString(got) != c.want {
			t.Errorf("suite %d: %x %v, want %s", c.suite, got, err, c.want)
		}
	}
	if _, err := Ratchet(AES128GCMSHA256, testKey(7)[:8]); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
	if _, err := Ratchet(Suite(0), testKey(7)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Errorf("suite 0: %v", err)
	}
}

// TestRatchetForwardSecrecy: a frame sent under step i+1 does not decrypt with step i's key
// and vice versa, and the ratcheted key works end to end.
func TestRatchetForwardSecrecy(t *testing.T) {
	k0 := testKey(7)
	k1, err := Ratchet(AES128GCMSHA256, k0)
	if err != nil {
		t.Fatal(err)
	}
	kid0, kid1 := KID{SenderIndex: 5, Step: 0}.Pack(), KID{SenderIndex: 5, Step: 1}.Pack()
	old, _ := NewSender(AES128GCMSHA256, kid0, k0)
	cur, _ := NewSender(AES128GCMSHA256, kid1, k1)
	joiner := NewReceiver(AES128GCMSHA256)
	if err := joiner.AddKey(kid1, k1); err != nil {
		t.Fatal(err)
	}
	if err := joiner.AddKey(kid0, k1); err != nil { // the joiner's best guess at the old key
		t.Fatal(err)
	}
	before, _ := old.Encrypt(nil, nil, []byte("before join"))
	after, _ := cur.Encrypt(nil, nil, []byte("after join"))
	if _, _, err := joiner.Decrypt(nil, nil, before); !errors.Is(err, ErrAuth) {
		t.Errorf("joiner read a pre-join frame: %v", err)
	}
	got, _, err := joiner.Decrypt(nil, nil, after)
	if err != nil || !bytes.Equal(got, []byte("after join")) {
		t.Errorf("joiner: %q %v", got, err)
	}
}
