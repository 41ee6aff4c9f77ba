package sframe

import (
	"errors"
	"testing"
)

func TestKIDPack(t *testing.T) {
	cases := []struct {
		kid  KID
		want uint64
		back KID
	}{
		{KID{1, 0, 0}, 64, KID{1, 0, 0}},
		{KID{1, 3, 15}, 127, KID{1, 3, 15}},
		{KID{2, 1, 2}, 2<<6 | 1<<4 | 2, KID{2, 1, 2}},
		{KID{255, 3, 15}, MaxKID, KID{255, 3, 15}},
		{KID{7, 5, 17}, 7<<6 | 1<<4 | 1, KID{7, 1, 1}}, // running counters reduced
		{KID{3, 4, 16}, 3 << 6, KID{3, 0, 0}},
	}
	for _, c := range cases {
		got := c.kid.Pack()
		if got != c.want {
			t.Errorf("%v: pack %d, want %d", c.kid, got, c.want)
		}
		back, err := UnpackKID(got)
		if err != nil || back != c.back {
			t.Errorf("%d: unpack %v %v, want %v", got, back, err, c.back)
		}
		if l := (Header{KID: got}).Len(); l > 3 {
			t.Errorf("%v: header %d bytes, KID must fit 2 bytes", c.kid, l)
		}
	}
	for _, v := range []uint64{0, 63, MaxKID + 1, 1 << 40} {
		if _, err := UnpackKID(v); !errors.Is(err, ErrKIDRange) {
			t.Errorf("unpack %d: %v, want ErrKIDRange", v, err)
		}
	}
	if s := (KID{12, 2, 9}).String(); s != "12/g2/s9" {
		t.Errorf("string %q", s)
	}
}
