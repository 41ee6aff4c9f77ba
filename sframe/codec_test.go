package sframe

import (
	"bytes"
	"errors"
	"testing"
)

func TestVP8PrefixLen(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		want  int
	}{
		{"empty", nil, 0},
		{"key frame", append([]byte{0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, 1, 2, 3), 10},
		{"key frame exactly 10", []byte{0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, 10},
		{"short key frame clamped", []byte{0x50, 0x2d, 0x01}, 3},
		{"delta frame", []byte{0x51, 0x2d, 0x01, 0x42, 0x42}, 1},
		{"delta frame 1 byte", []byte{0x01}, 1},
	}
	for _, c := range cases {
		if got := VP8PrefixLen(c.frame); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	key := append([]byte{0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, bytes.Repeat([]byte{0xee}, 500)...)
	cases := []struct {
		name   string
		codec  Codec
		frame  []byte
		prefix int
	}{
		{"vp8 key", CodecVP8, key, 10},
		{"vp8 key header only", CodecVP8, key[:10], 10},
		{"vp8 delta", CodecVP8, []byte{0x31, 0xaa, 0xbb, 0xcc}, 1},
		{"vp8 delta 1 byte", CodecVP8, []byte{0x31}, 1},
		{"vp9", CodecVP9, []byte{0x82, 0x49, 0x83, 0x42, 0x00}, 0},
		{"opus", CodecOpus, []byte{0x78, 0x01, 0x02}, 0},
	}
	snd, rcv := newPair(t, AES128GCMSHA256, KID{SenderIndex: 200, Generation: 1, Step: 3}.Pack())
	for _, c := range cases {
		enc, err := EncryptFrame(snd, c.codec, c.frame)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(enc[:c.prefix], c.frame[:c.prefix]) {
			t.Errorf("%s: prefix %x not clear", c.name, enc[:c.prefix])
		}
		if bytes.Contains(enc[c.prefix:], c.frame[c.prefix:]) && len(c.frame) > c.prefix+2 {
			t.Errorf("%s: plaintext visible in output", c.name)
		}
		if over := len(enc) - len(c.frame); over > 22 {
			t.Errorf("%s: %d bytes of overhead", c.name, over)
		}
		got, kid, err := DecryptFrame(rcv, c.codec, enc)
		if err != nil || kid != snd.KID() || !bytes.Equal(got, c.frame) {
			t.Errorf("%s: decrypt %x kid %d err %v", c.name, got, kid, err)
		}
	}
}

func TestFrameEdges(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	for _, c := range []Codec{CodecOpus, CodecVP8, CodecVP9} {
		if out, err := EncryptFrame(snd, c, nil); err != nil || len(out) != 0 {
			t.Errorf("%s empty: %x %v", c, out, err)
		}
		if out, kid, err := DecryptFrame(rcv, c, []byte{}); err != nil || len(out) != 0 || kid != 0 {
			t.Errorf("%s empty decrypt: %x %d %v", c, out, kid, err)
		}
	}
	if snd.ctr != 0 {
		t.Errorf("empty frames used %d counters", snd.ctr)
	}
	errs := []struct {
		name string
		err  error
		want error
	}{
		{"short vp8 key frame", errOf(EncryptFrame(snd, CodecVP8, []byte{0x50, 0x2d})), ErrShortFrame},
		{"unknown codec", errOf(EncryptFrame(snd, Codec(9), []byte{1})), ErrUnsupportedCodec},
		{"decrypt unknown codec", errOf3(DecryptFrame(rcv, Codec(0), []byte{1})), ErrUnsupportedCodec},
		{"decrypt prefix only", errOf3(DecryptFrame(rcv, CodecVP8, []byte{0x50, 0x2d, 0x01})), ErrShortFrame},
		{"decrypt delta prefix only", errOf3(DecryptFrame(rcv, CodecVP8, []byte{0x51})), ErrShortFrame},
	}
	for _, e := range errs {
		if !errors.Is(e.err, e.want) {
			t.Errorf("%s: %v, want %v", e.name, e.err, e.want)
		}
	}
}

func errOf(_ []byte, err error) error            { return err }
func errOf3(_ []byte, _ uint64, err error) error { return err }

// TestFrameCodecMismatch checks that decrypting with another codec's prefix rule fails
// authentication rather than producing garbage.
func TestFrameCodecMismatch(t *testing.T) {
	snd, rcv := newPair(t, AES128GCMSHA256, 64)
	enc, err := EncryptFrame(snd, CodecVP8, []byte{0x31, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecryptFrame(rcv, CodecOpus, enc); err == nil {
		t.Fatal("vp8 frame decrypted as opus")
	}
}
