package sframe

import (
	"crypto/hkdf"
	"fmt"
)

// Ratchet returns the next base key of the RFC 9605 section 5.1 sender-key ratchet:
//
//	base_key[i+1] = HKDF-Expand(HKDF-Extract("", base_key[i]), "SFrame 1.0 Ratchet", Nh)
//
// Nh is the suite's hash length (32 bytes for the SHA-256 suites, 64 for SHA-512), so a
// 16-byte initial key becomes a 32-byte one after the first step; the browser worker must
// do the same. The ratchet is one-way: a joiner given base_key[i] cannot read earlier frames.
// The RFC has no test vectors for it; the test checks an independent HKDF computation.
func Ratchet(suite Suite, baseKey []byte) ([]byte, error) {
	p, err := suite.params()
	if err != nil {
		return nil, fmt.Errorf("ratchet: %w", err)
	}
	if len(baseKey) < MinBaseKeyLen {
		return nil, fmt.Errorf("ratchet %d-byte key: %w", len(baseKey), ErrShortKey)
	}
	secret, err := hkdf.Extract(p.hash, baseKey, nil)
	if err != nil {
		return nil, fmt.Errorf("ratchet extract: %w", err)
	}
	next, err := hkdf.Expand(p.hash, secret, "SFrame 1.0 Ratchet", p.hash().Size())
	if err != nil {
		return nil, fmt.Errorf("ratchet expand: %w", err)
	}
	return next, nil
}
