package sframe

import (
	"fmt"
	"math/bits"
)

// MaxHeaderLen is the longest SFrame header: the config byte and 8-byte KID and CTR.
const MaxHeaderLen = 1 + 8 + 8

// Header is a parsed SFrame header (RFC 9605 section 4.3).
type Header struct {
	KID uint64 // key identifier
	CTR uint64 // frame counter
}

// fieldLen is the number of bytes v takes in extended form, or 0 if it fits the 3-bit
// short form.
func fieldLen(v uint64) int {
	if v < 8 {
		return 0
	}
	return (bits.Len64(v) + 7) / 8
}

// Len is the encoded length of h in bytes (the minimal encoding the RFC specifies).
func (h Header) Len() int {
	return 1 + fieldLen(h.KID) + fieldLen(h.CTR)
}

// Append appends the minimal encoding of h to dst: config byte X|K|Y|C, then the
// extended KID and CTR in network byte order.
func (h Header) Append(dst []byte) []byte {
	kl, cl := fieldLen(h.KID), fieldLen(h.CTR)
	var cfg byte
	if kl == 0 {
		cfg = byte(h.KID) << 4
	} else {
		cfg = 0x80 | byte(kl-1)<<4
	}
	if cl == 0 {
		cfg |= byte(h.CTR)
	} else {
		cfg |= 0x08 | byte(cl-1)
	}
	dst = append(dst, cfg)
	dst = appendUint(dst, h.KID, kl)
	return appendUint(dst, h.CTR, cl)
}

func appendUint(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// ParseHeader parses the SFrame header at the start of b and returns it with its length in
// bytes. Non-minimal extended encodings are accepted: the header bytes are authenticated as
// received, so their form cannot be altered without failing authentication.
func ParseHeader(b []byte) (Header, int, error) {
	if len(b) == 0 {
		return Header{}, 0, fmt.Errorf("parse header: empty input: %w", ErrMalformedHeader)
	}
	cfg := b[0]
	n := 1
	kid, n, err := parseField(b, n, cfg>>4)
	if err != nil {
		return Header{}, 0, fmt.Errorf("parse header kid: %w", err)
	}
	ctr, n, err := parseField(b, n, cfg&0x0f)
	if err != nil {
		return Header{}, 0, fmt.Errorf("parse header ctr: %w", err)
	}
	return Header{KID: kid, CTR: ctr}, n, nil
}

// parseField decodes one 4-bit X|K nibble and, in extended form, the bytes at b[off:].
func parseField(b []byte, off int, nib byte) (uint64, int, error) {
	if nib&0x08 == 0 {
		return uint64(nib), off, nil
	}
	l := int(nib&0x07) + 1
	if len(b)-off < l {
		return 0, 0, fmt.Errorf("need %d bytes, have %d: %w", l, len(b)-off, ErrMalformedHeader)
	}
	var v uint64
	for _, c := range b[off : off+l] {
		v = v<<8 | uint64(c)
	}
	return v, off + l, nil
}
