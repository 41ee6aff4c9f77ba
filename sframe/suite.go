package sframe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
)

// Suite is an RFC 9605 cipher suite identifier (section 4.5, IANA "SFrame Cipher Suites").
type Suite uint16

// The RFC 9605 cipher suites. Conclave uses AES128GCMSHA256 for all media.
const (
	AES128CTRHMACSHA256_80 Suite = 0x0001 // AES_128_CTR_HMAC_SHA256_80
	AES128CTRHMACSHA256_64 Suite = 0x0002 // AES_128_CTR_HMAC_SHA256_64
	AES128CTRHMACSHA256_32 Suite = 0x0003 // AES_128_CTR_HMAC_SHA256_32
	AES128GCMSHA256        Suite = 0x0004 // AES_128_GCM_SHA256_128
	AES256GCMSHA512        Suite = 0x0005 // AES_256_GCM_SHA512_128
)

// MinBaseKeyLen is the shortest base key accepted (RFC 9605 sets none; a shorter key is a bug).
const MinBaseKeyLen = 16

// nonceLen is Nn, 12 bytes for every RFC 9605 suite.
const nonceLen = 12

// params are a suite's sizes: Nk (key), Nt (tag), and its HKDF hash.
type params struct {
	nk, nt int
	hash   func() hash.Hash
	gcm    bool
}

func (s Suite) params() (params, error) {
	switch s {
	case AES128CTRHMACSHA256_80:
		return params{nk: 48, nt: 10, hash: sha256.New}, nil
	case AES128CTRHMACSHA256_64:
		return params{nk: 48, nt: 8, hash: sha256.New}, nil
	case AES128CTRHMACSHA256_32:
		return params{nk: 48, nt: 4, hash: sha256.New}, nil
	case AES128GCMSHA256:
		return params{nk: 16, nt: 16, hash: sha256.New, gcm: true}, nil
	case AES256GCMSHA512:
		return params{nk: 32, nt: 16, hash: sha512.New, gcm: true}, nil
	}
	return params{}, fmt.Errorf("suite 0x%04x: %w", uint16(s), ErrUnsupportedSuite)
}

// TagLen is the authentication tag length Nt of the suite, or 0 if it is unsupported.
func (s Suite) TagLen() int {
	p, err := s.params()
	if err != nil {
		return 0
	}
	return p.nt
}

// deriveKeySalt is RFC 9605 section 4.4.2: sframe_secret = HKDF-Extract("", base_key);
// key and salt are HKDF-Expand with "SFrame 1.0 Secret key "/"SFrame 1.0 Secret salt "
// followed by the KID as 8 bytes and the suite as 2 bytes, both big-endian.
func deriveKeySalt(s Suite, kid uint64, baseKey []byte) (key, salt []byte, err error) {
	p, err := s.params()
	if err != nil {
		return nil, nil, err
	}
	secret, err := hkdf.Extract(p.hash, baseKey, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("hkdf extract: %w", err)
	}
	var ctx [10]byte
	binary.BigEndian.PutUint64(ctx[:8], kid)
	binary.BigEndian.PutUint16(ctx[8:], uint16(s))
	key, err = hkdf.Expand(p.hash, secret, "SFrame 1.0 Secret key "+string(ctx[:]), p.nk)
	if err != nil {
		return nil, nil, fmt.Errorf("hkdf expand key: %w", err)
	}
	salt, err = hkdf.Expand(p.hash, secret, "SFrame 1.0 Secret salt "+string(ctx[:]), nonceLen)
	if err != nil {
		return nil, nil, fmt.Errorf("hkdf expand salt: %w", err)
	}
	return key, salt, nil
}

// newAEAD builds the suite's AEAD from sframe_key.
func newAEAD(s Suite, key []byte) (cipher.AEAD, error) {
	p, err := s.params()
	if err != nil {
		return nil, err
	}
	if len(key) != p.nk {
		return nil, fmt.Errorf("suite 0x%04x key length %d, want %d", uint16(s), len(key), p.nk)
	}
	if !p.gcm {
		return newCTRHMAC(key, p.nt)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}
