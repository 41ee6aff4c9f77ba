package sframe

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// key is one derived (sframe_key, sframe_salt) pair for a KID.
type key struct {
	suite Suite
	kid   uint64
	aead  cipher.AEAD
	salt  [nonceLen]byte
}

func newKey(s Suite, kid uint64, baseKey []byte) (*key, error) {
	if len(baseKey) < MinBaseKeyLen {
		return nil, fmt.Errorf("base key %d bytes: %w", len(baseKey), ErrShortKey)
	}
	k, salt, err := deriveKeySalt(s, kid, baseKey)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(s, k)
	if err != nil {
		return nil, err
	}
	out := &key{suite: s, kid: kid, aead: aead}
	copy(out.salt[:], salt)
	return out, nil
}

// nonce is sframe_salt XOR CTR encoded big-endian in Nn bytes (RFC 9605 section 4.4.3).
func (k *key) nonce(ctr uint64) [nonceLen]byte {
	n := k.salt
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], ctr)
	for i := range c {
		n[nonceLen-8+i] ^= c[i]
	}
	return n
}

// aad returns header ‖ metadata in buf when it fits, else in a new slice. The AEAD's dst
// and additional data must not overlap, so the header is always copied.
func aad(buf []byte, hdr, metadata []byte) []byte {
	return append(append(buf[:0], hdr...), metadata...)
}

// seal appends header(KID, ctr) ‖ AEAD ciphertext ‖ tag to dst (RFC 9605 section 4.4.3).
func (k *key) seal(dst []byte, ctr uint64, metadata, plaintext []byte) []byte {
	start := len(dst)
	dst = Header{KID: k.kid, CTR: ctr}.Append(dst)
	var buf [64]byte
	a := aad(buf[:], dst[start:], metadata)
	nonce := k.nonce(ctr)
	return k.aead.Seal(dst, nonce[:], plaintext, a)
}

// open authenticates and decrypts the ciphertext ct that followed the header bytes hdr,
// appending the plaintext to dst (RFC 9605 section 4.4.4).
func (k *key) open(dst []byte, ctr uint64, hdr, metadata, ct []byte) ([]byte, error) {
	var buf [64]byte
	a := aad(buf[:], hdr, metadata)
	nonce := k.nonce(ctr)
	out, err := k.aead.Open(dst, nonce[:], ct, a)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}
