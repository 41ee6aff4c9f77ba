package e2ee

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
)

// hkdfByHand is RFC 5869 with an empty salt written out with HMAC, independent of crypto/hkdf.
func hkdfByHand(ikm []byte, info string, n int) []byte {
	ext := hmac.New(sha256.New, make([]byte, 32))
	ext.Write(ikm)
	prk := ext.Sum(nil)
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(sha256.New, prk)
		m.Write(prev)
		m.Write([]byte(info))
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

// TestVectorsIndependent recomputes the derived keys of the vectors with hand-written HKDF and
// HMAC and checks the ECDH secret is the same from both sides.
func TestVectorsIndependent(t *testing.T) {
	v := makeVectors(t)
	secret, _ := base64.RawURLEncoding.DecodeString(v.Secret)
	mac := hkdfByHand(secret, "conclave v1 roster mac", 32)
	wrap := hkdfByHand(secret, "conclave v1 wrap", 32)
	if u(mac) != v.MACKey || u(wrap) != v.WrapKey {
		t.Fatalf("macKey/wrapKey differ from an independent HKDF")
	}
	p := v.Participants[0]
	m := hmac.New(sha256.New, mac)
	m.Write([]byte("conclave v1 announce\x00brisk-otter-42\x00p_alice\x007\x00"))
	point, _ := base64.RawURLEncoding.DecodeString(p.Point)
	m.Write(point)
	if u(m.Sum(nil)) != p.MAC {
		t.Errorf("announce mac differs from an independent HMAC")
	}
	if v.Pairs[0].Shared != v.Pairs[1].Shared {
		t.Errorf("ECDH differs by side: %s vs %s", v.Pairs[0].Shared, v.Pairs[1].Shared)
	}
	shared, _ := base64.RawURLEncoding.DecodeString(v.Pairs[0].Shared)
	pk := hkdfByHand(append(shared, wrap...), "conclave v1 key-wrap\x00brisk-otter-42\x00p_alice\x00p_bob", 16)
	if u(pk) != v.Pairs[0].PairKey {
		t.Errorf("pairKey differs from an independent HKDF")
	}
	base, _ := base64.RawURLEncoding.DecodeString(v.Msgs[0].BaseKey)
	if u(hkdfByHand(base, "conclave v1 msg", 16)) != v.Msgs[0].MsgKey {
		t.Errorf("msgKey differs from an independent HKDF")
	}
	if v.KeyMessages[1].AAD != u([]byte("conclave v1 key\x00brisk-otter-42\x00p_alice\x00p_bob\x007\x003\x002")) {
		t.Errorf("key aad: %s", v.KeyMessages[1].AAD)
	}
}

func testKeys(t *testing.T, secret byte) *RoomKeys {
	t.Helper()
	k, err := NewRoomKeys(bytes.Repeat([]byte{secret}, 32), "room")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWrapUnwrap(t *testing.T) {
	keys, other := testKeys(t, 1), testKeys(t, 2)
	a, b := newPeer(t, "p_a", 1), newPeer(t, "p_b", 2)
	ab, _ := keys.NewPair(a.priv, a.pid, b.priv.PublicKey(), b.pid)
	ba, _ := keys.NewPair(b.priv, b.pid, a.priv.PublicKey(), a.pid)
	wrongRoom, _ := other.NewPair(b.priv, b.pid, a.priv.PublicKey(), a.pid)
	sk := SenderKey{Gen: 2, Step: 5, Key: bytes.Repeat([]byte{9}, 32)}
	m, err := ab.Wrap(1, sk, make([]byte, 12))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ba.Unwrap(m)
	if err != nil || !bytes.Equal(got.Key, sk.Key) || got.Gen != 2 || got.Step != 5 {
		t.Fatalf("unwrap: %v %+v", err, got)
	}
	tests := []struct {
		name string
		pair *Pair
		mod  func(*Key)
	}{
		{"other room secret", wrongRoom, func(*Key) {}},
		{"wrong direction", ab, func(*Key) {}},
		{"gen changed", ba, func(k *Key) { k.Gen++ }},
		{"step changed", ba, func(k *Key) { k.Step++ }},
		{"index changed", ba, func(k *Key) { k.Index++ }},
		{"ct flipped", ba, func(k *Key) { k.CT = bytes.Clone(k.CT); k.CT[0] ^= 1 }},
	}
	for _, tt := range tests {
		k := m
		tt.mod(&k)
		if _, err := tt.pair.Unwrap(k); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: got %v, want ErrDecrypt", tt.name, err)
		}
	}
}

func TestMsgRoundTrip(t *testing.T) {
	keys := testKeys(t, 1)
	sk := SenderKey{Gen: 1, Step: 0, Key: bytes.Repeat([]byte{3}, 16)}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	m, err := keys.SealMsg("p_a", 4, sk, nonce, []byte(`{"kind":"chat","id":"x","text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := keys.OpenMsg("p_a", m, sk.Key)
	if err != nil || string(body) != `{"kind":"chat","id":"x","text":"hi"}` {
		t.Fatalf("open: %v %q", err, body)
	}
	if _, err := keys.OpenMsg("p_b", m, sk.Key); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another sender pid: got %v, want ErrDecrypt", err)
	}
	if _, err := keys.OpenMsg("p_a", m, bytes.Repeat([]byte{4}, 16)); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another base key: got %v, want ErrDecrypt", err)
	}
	if _, err := NewRoomKeys(make([]byte, 31), "r"); !errors.Is(err, ErrBadSecret) {
		t.Errorf("31-byte secret: %v", err)
	}
}
