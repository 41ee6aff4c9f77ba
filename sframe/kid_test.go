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

func TestKIDStepsAfter(t *testing.T) {
	cases := []struct {
		k, prev KID
		n       int
		ok      bool
	}{
		{KID{4, 1, 3}, KID{4, 1, 2}, 1, true},
		{KID{4, 1, 10}, KID{4, 1, 2}, 8, true},
		{KID{4, 1, 11}, KID{4, 1, 2}, 9, false}, // too far ahead
		{KID{4, 1, 1}, KID{4, 1, 14}, 3, true},  // wraps mod 16
		{KID{4, 1, 2}, KID{4, 1, 3}, 15, false}, // backwards
		{KID{4, 1, 2}, KID{4, 1, 2}, 0, false},  // same step
		{KID{4, 2, 3}, KID{4, 1, 2}, 0, false},  // other generation
		{KID{5, 1, 3}, KID{4, 1, 2}, 0, false},  // other sender
		{KID{4, 5, 3}, KID{4, 1, 2}, 1, true},   // generation compared mod 4
	}
	for _, c := range cases {
		n, ok := c.k.StepsAfter(c.prev)
		if n != c.n || ok != c.ok {
			t.Errorf("%v after %v: %d %v, want %d %v", c.k, c.prev, n, ok, c.n, c.ok)
		}
	}
}
