package sframe

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	for _, s := range [][]byte{{0x00}, {0x08, 0xff}, {0x99, 0x01, 0x23, 0x45, 0x67}, {0xff}, {}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedHeader) {
				t.Fatalf("error %v is not ErrMalformedHeader", err)
			}
			return
		}
		if n < 1 || n > len(b) || n > MaxHeaderLen {
			t.Fatalf("length %d of %d bytes", n, len(b))
		}
		enc := h.Append(nil)
		if len(enc) > n {
			t.Fatalf("minimal encoding %x longer than parsed %x", enc, b[:n])
		}
		h2, n2, err := ParseHeader(enc)
		if err != nil || h2 != h || n2 != len(enc) {
			t.Fatalf("re-parse %x: %+v %d %v, want %+v", enc, h2, n2, err, h)
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	snd, err := NewSender(AES128GCMSHA256, 64, testKey(7))
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range [][]byte{{0x31, 1, 2}, {0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 9}} {
		enc, err := EncryptFrame(snd, CodecVP8, fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{0x31, 0x88})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []Suite{AES128GCMSHA256, AES128CTRHMACSHA256_80} {
			r := NewReceiver(s)
			if err := r.AddKey(64, testKey(7)); err != nil {
				t.Fatal(err)
			}
			pt, _, err := DecryptFrame(r, CodecVP8, b)
			if err == nil && len(b) > 0 && !bytes.Equal(pt[:VP8PrefixLen(b)], b[:VP8PrefixLen(b)]) {
				t.Fatalf("prefix changed")
			}
			if err == nil && len(b) > 0 && len(pt) >= len(b) {
				t.Fatalf("decrypted %d bytes from %d", len(pt), len(b))
			}
		}
	})
}
