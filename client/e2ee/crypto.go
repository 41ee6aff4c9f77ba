package e2ee

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// SenderKey is one state of a participant's sender key: generation, ratchet step and the
// SFrame base key (16 bytes at step 0, 32 after a ratchet step).
type SenderKey struct {
	Gen, Step uint32
	Key       []byte
}

// announceMAC is HMAC-SHA256(macKey, label(announce, room, pid, index) ‖ 0x00 ‖ ecdh).
func (k *RoomKeys) announceMAC(pid string, index uint8, point []byte) []byte {
	m := hmac.New(sha256.New, k.macKey)
	m.Write(label(tagAnnounce, k.room, pid, itoa(index)))
	m.Write([]byte{0})
	m.Write(point)
	return m.Sum(nil)
}

// NewAnnounce makes the announce of participant pid with sender index and ECDH key pub.
func (k *RoomKeys) NewAnnounce(pid string, index uint8, pub *ecdh.PublicKey) Announce {
	point := pub.Bytes()
	return Announce{PID: pid, Index: index, ECDH: point, MAC: k.announceMAC(pid, index, point)}
}

// VerifyAnnounce checks an announce relayed from participant from: the MAC (ErrBadMAC: the
// sender has another room secret), pid = from and index 1–255 (ErrWrongSender), and a valid
// P-256 point (ErrBadKey). It returns the sender's public key. The roster's rule on
// duplicate indexes is Roster's job.
func (k *RoomKeys) VerifyAnnounce(from string, a Announce) (*ecdh.PublicKey, error) {
	if !hmac.Equal(a.MAC, k.announceMAC(a.PID, a.Index, a.ECDH)) {
		return nil, fmt.Errorf("announce of %q: %w", a.PID, ErrBadMAC)
	}
	if a.PID != from || a.Index == 0 {
		return nil, fmt.Errorf("announce of %q (index %d) relayed from %q: %w", a.PID, a.Index, from, ErrWrongSender)
	}
	pub, err := ecdh.P256().NewPublicKey(a.ECDH)
	if err != nil {
		return nil, fmt.Errorf("announce of %q: %w: %w", a.PID, ErrBadKey, err)
	}
	return pub, nil
}

// Pair is the pairwise context of this participant and one verified other: it wraps sender
// keys for it and unwraps the keys it sends.
type Pair struct {
	keys           *RoomKeys
	myPID, peerPID string
	shared         []byte // ECDH X coordinate
}

// NewPair computes the ECDH shared secret of my private key and the peer's public key.
func (k *RoomKeys) NewPair(my *ecdh.PrivateKey, myPID string, peer *ecdh.PublicKey, peerPID string) (*Pair, error) {
	shared, err := my.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("ecdh with %q: %w: %w", peerPID, ErrBadKey, err)
	}
	return &Pair{keys: k, myPID: myPID, peerPID: peerPID, shared: shared}, nil
}

// keyAAD is label("conclave v1 key", room, fromPid, toPid, index, gen, step).
func (k *RoomKeys) keyAAD(from, to string, index uint8, gen, step uint32) []byte {
	return label(tagKey, k.room, from, to, itoa(index), itoa(gen), itoa(step))
}

// Wrap encrypts my sender key sk (my sender index index) for the peer, under a 12-byte nonce
// that must be fresh random bytes.
func (p *Pair) Wrap(index uint8, sk SenderKey, nonce []byte) (Key, error) {
	aead, err := gcm(p.keys.pairKey(p.shared, p.myPID, p.peerPID), nonce)
	if err != nil {
		return Key{}, err
	}
	ct := aead.Seal(nil, nonce, sk.Key, p.keys.keyAAD(p.myPID, p.peerPID, index, sk.Gen, sk.Step))
	return Key{Index: index, Gen: sk.Gen, Step: sk.Step, Nonce: nonce, CT: ct}, nil
}

// Unwrap decrypts a key message the peer sent me. The caller checks m.Index against the
// peer's roster index.
func (p *Pair) Unwrap(m Key) (SenderKey, error) {
	aead, err := gcm(p.keys.pairKey(p.shared, p.peerPID, p.myPID), m.Nonce)
	if err != nil {
		return SenderKey{}, err
	}
	key, err := aead.Open(nil, m.Nonce, m.CT, p.keys.keyAAD(p.peerPID, p.myPID, m.Index, m.Gen, m.Step))
	if err != nil {
		return SenderKey{}, fmt.Errorf("key %d/%d from %q: %w", m.Gen, m.Step, p.peerPID, ErrDecrypt)
	}
	return SenderKey{Gen: m.Gen, Step: m.Step, Key: key}, nil
}

// msgAAD is label("conclave v1 msg", room, fromPid, index, gen, step).
func (k *RoomKeys) msgAAD(from string, index uint8, gen, step uint32) []byte {
	return label(tagMsg, k.room, from, itoa(index), itoa(gen), itoa(step))
}

// SealMsg encrypts a message body (JSON) from participant from under its sender key sk.
func (k *RoomKeys) SealMsg(from string, index uint8, sk SenderKey, nonce, body []byte) (Msg, error) {
	aead, err := gcm(msgKey(sk.Key), nonce)
	if err != nil {
		return Msg{}, err
	}
	ct := aead.Seal(nil, nonce, body, k.msgAAD(from, index, sk.Gen, sk.Step))
	return Msg{Index: index, Gen: sk.Gen, Step: sk.Step, Nonce: nonce, CT: ct}, nil
}

// OpenMsg decrypts a msg from participant from with the base key of its (gen, step).
func (k *RoomKeys) OpenMsg(from string, m Msg, baseKey []byte) ([]byte, error) {
	aead, err := gcm(msgKey(baseKey), m.Nonce)
	if err != nil {
		return nil, err
	}
	body, err := aead.Open(nil, m.Nonce, m.CT, k.msgAAD(from, m.Index, m.Gen, m.Step))
	if err != nil {
		return nil, fmt.Errorf("msg %d/%d from %q: %w", m.Gen, m.Step, from, ErrDecrypt)
	}
	return body, nil
}

// gcm returns AES-GCM under a 16-byte key, checking the nonce length.
func gcm(key, nonce []byte) (cipher.AEAD, error) {
	if len(nonce) != NonceLen {
		return nil, fmt.Errorf("nonce of %d bytes: %w", len(nonce), ErrBadMessage)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}
