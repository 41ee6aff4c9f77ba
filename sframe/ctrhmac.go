package sframe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// ctrHMAC is the AES-CTR + truncated HMAC-SHA256 AEAD of RFC 9605 section 4.5.1. sframe_key is
// enc_key (16 bytes) ‖ auth_key (32 bytes).
type ctrHMAC struct {
	block   cipher.Block
	authKey []byte
	nt      int
}

func newCTRHMAC(key []byte, nt int) (*ctrHMAC, error) {
	block, err := aes.NewCipher(key[:16])
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return &ctrHMAC{block: block, authKey: append([]byte(nil), key[16:]...), nt: nt}, nil
}

func (c *ctrHMAC) NonceSize() int { return nonceLen }
func (c *ctrHMAC) Overhead() int  { return c.nt }

// xor runs AES-CTR with the initial counter block nonce ‖ 0x00000000.
func (c *ctrHMAC) xor(dst, src, nonce []byte) {
	var iv [aes.BlockSize]byte
	copy(iv[:], nonce)
	cipher.NewCTR(c.block, iv[:]).XORKeyStream(dst, src)
}

// tag is HMAC(auth_key, len(aad)₈ ‖ len(ct)₈ ‖ Nt₈ ‖ nonce ‖ aad ‖ ct) truncated to Nt.
func (c *ctrHMAC) tag(dst, nonce, aad, ct []byte) []byte {
	m := hmac.New(sha256.New, c.authKey)
	var lens [24]byte
	binary.BigEndian.PutUint64(lens[0:], uint64(len(aad)))
	binary.BigEndian.PutUint64(lens[8:], uint64(len(ct)))
	binary.BigEndian.PutUint64(lens[16:], uint64(c.nt))
	m.Write(lens[:])
	m.Write(nonce)
	m.Write(aad)
	m.Write(ct)
	var sum [sha256.Size]byte
	return append(dst, m.Sum(sum[:0])[:c.nt]...)
}

// Seal implements cipher.AEAD.
func (c *ctrHMAC) Seal(dst, nonce, plaintext, aad []byte) []byte {
	n := len(dst)
	dst = grow(dst, len(plaintext))
	ct := dst[n : n+len(plaintext)]
	c.xor(ct, plaintext, nonce)
	return c.tag(dst, nonce, aad, ct)
}

// Open implements cipher.AEAD.
func (c *ctrHMAC) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < c.nt {
		return nil, ErrAuth
	}
	ct, got := ciphertext[:len(ciphertext)-c.nt], ciphertext[len(ciphertext)-c.nt:]
	var buf [sha256.Size]byte
	want := c.tag(buf[:0], nonce, aad, ct)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return nil, ErrAuth
	}
	n := len(dst)
	dst = grow(dst, len(ct))
	c.xor(dst[n:], ct, nonce)
	return dst, nil
}

// grow extends dst by n bytes, reallocating if its capacity is short.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst[:len(dst)+n]
	}
	out := make([]byte, len(dst)+n, len(dst)+n+16)
	copy(out, dst)
	return out
}
