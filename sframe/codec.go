package sframe

import "fmt"

// Codec names the media codec of a frame, which decides its clear prefix.
type Codec uint8

// Codecs with a clear-prefix rule. H.264 and AV1 need codec-aware rules (E2EE.md) and are not
// negotiated in E2EE rooms yet.
const (
	CodecOpus Codec = iota + 1
	CodecVP8
	CodecVP9
)

// String returns the codec name.
func (c Codec) String() string {
	switch c {
	case CodecOpus:
		return "opus"
	case CodecVP8:
		return "vp8"
	case CodecVP9:
		return "vp9"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// vp8KeyPrefix is the clear part of a VP8 key frame: the 3-byte frame tag, the start code
// 9d 01 2a and the 14-bit width and height with their scale bits (RFC 6386 section 9.1).
const vp8KeyPrefix = 10

// VP8PrefixLen is the number of clear bytes at the start of a VP8 frame: 10 on a key frame
// (bit 0 of byte 0, the inverted P bit, is 0), 1 on a delta frame, clamped to len(frame).
// Byte 0 stays clear because browser depacketizers and the SFU read the P bit from it.
func VP8PrefixLen(frame []byte) int {
	switch {
	case len(frame) == 0:
		return 0
	case frame[0]&1 == 0:
		return min(vp8KeyPrefix, len(frame))
	}
	return 1
}

// prefixLen is the clear prefix length of frame for codec.
func prefixLen(codec Codec, frame []byte) (int, error) {
	switch codec {
	case CodecVP8:
		return VP8PrefixLen(frame), nil
	case CodecOpus, CodecVP9:
		return 0, nil
	}
	return 0, fmt.Errorf("%s: %w", codec, ErrUnsupportedCodec)
}

// EncryptFrame encrypts one encoded media frame into P ‖ SFrame ciphertext, where P is the
// codec's clear prefix, authenticated as SFrame metadata. A zero-length frame (Opus DTX)
// passes through unencrypted, as in the browser worker. A VP8 key frame shorter than its
// 10-byte prefix is rejected (ErrShortFrame): the receiver could not find the header in it.
func EncryptFrame(s *Sender, codec Codec, frame []byte) ([]byte, error) {
	if len(frame) == 0 {
		return []byte{}, nil
	}
	p, err := prefixLen(codec, frame)
	if err != nil {
		return nil, fmt.Errorf("encrypt frame: %w", err)
	}
	if codec == CodecVP8 && frame[0]&1 == 0 && len(frame) < vp8KeyPrefix {
		return nil, fmt.Errorf("encrypt vp8 key frame of %d bytes: %w", len(frame), ErrShortFrame)
	}
	out := make([]byte, p, len(frame)+MaxHeaderLen+16)
	copy(out, frame[:p])
	out, err = s.Encrypt(out, frame[:p], frame[p:])
	if err != nil {
		return nil, fmt.Errorf("encrypt %s frame: %w", codec, err)
	}
	return out, nil
}

// DecryptFrame reverses EncryptFrame: it returns the original frame (clear prefix and
// plaintext) and the KID it was encrypted under. A zero-length frame passes through (KID 0).
// Frames that fail must be dropped, never handed to a decoder.
func DecryptFrame(r *Receiver, codec Codec, frame []byte) ([]byte, uint64, error) {
	if len(frame) == 0 {
		return []byte{}, 0, nil
	}
	p, err := prefixLen(codec, frame)
	if err != nil {
		return nil, 0, fmt.Errorf("decrypt frame: %w", err)
	}
	if p >= len(frame) {
		return nil, 0, fmt.Errorf("decrypt %s frame of %d bytes: %w", codec, len(frame), ErrShortFrame)
	}
	out := make([]byte, p, len(frame))
	copy(out, frame[:p])
	out, kid, err := r.Decrypt(out, frame[:p], frame[p:])
	if err != nil {
		return nil, kid, fmt.Errorf("decrypt %s frame: %w", codec, err)
	}
	return out, kid, nil
}
