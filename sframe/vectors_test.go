package sframe

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
)

type vectors struct {
	SFrame []struct {
		Suite    Suite `json:"cipher_suite"`
		KID      u64   `json:"kid"`
		CTR      u64   `json:"ctr"`
		BaseKey  hexB  `json:"base_key"`
		KeyLabel hexB  `json:"sframe_key_label"`
		Key      hexB  `json:"sframe_key"`
		Salt     hexB  `json:"sframe_salt"`
		Metadata hexB  `json:"metadata"`
		Nonce    hexB  `json:"nonce"`
		AAD      hexB  `json:"aad"`
		PT       hexB  `json:"pt"`
		CT       hexB  `json:"ct"`
	} `json:"sframe"`
	CTRHMAC []struct {
		Suite Suite `json:"cipher_suite"`
		Key   hexB  `json:"key"`
		Nonce hexB  `json:"nonce"`
		AAD   hexB  `json:"aad"`
		PT    hexB  `json:"pt"`
		CT    hexB  `json:"ct"`
	} `json:"aes_ctr_hmac"`
	Header []struct {
		KID     u64  `json:"kid"`
		CTR     u64  `json:"ctr"`
		Encoded hexB `json:"encoded"`
	} `json:"header"`
}

type hexB []byte

func (h *hexB) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

func loadVectors(t testing.TB, name string) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// u64 reads a JSON number exactly as a uint64 (the header vectors reach 2^64-1, beyond
// float64 precision).
type u64 uint64

func (u *u64) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseUint(string(b), 10, 64)
	*u = u64(v)
	return err
}

func TestVectorsHeader(t *testing.T) {
	v := loadVectors(t, "rfc9605-all.json")
	if len(v.Header) != 289 {
		t.Fatalf("header cases: %d, want 289", len(v.Header))
	}
	for _, c := range v.Header {
		h := Header{KID: uint64(c.KID), CTR: uint64(c.CTR)}
		if got := h.Append(nil); !bytes.Equal(got, c.Encoded) {
			t.Errorf("encode %+v = %x, want %x", h, got, []byte(c.Encoded))
		}
		if h.Len() != len(c.Encoded) {
			t.Errorf("len %+v = %d, want %d", h, h.Len(), len(c.Encoded))
		}
		trailing := append(append([]byte(nil), c.Encoded...), 0xaa, 0xbb)
		got, n, err := ParseHeader(trailing)
		if err != nil || got != h || n != len(c.Encoded) {
			t.Errorf("parse %x = %+v, %d, %v; want %+v, %d", []byte(c.Encoded), got, n, err, h, len(c.Encoded))
		}
		for cut := 0; cut < len(c.Encoded); cut++ {
			if _, _, err := ParseHeader(c.Encoded[:cut]); !errors.Is(err, ErrMalformedHeader) {
				t.Errorf("parse %x (cut from %x): %v, want ErrMalformedHeader", c.Encoded[:cut], []byte(c.Encoded), err)
			}
		}
	}
}

func TestVectorsSFrame(t *testing.T) {
	for _, file := range []string{"rfc9605-all.json", "aes_128_gcm_sha256_128.json", "aes_128_ctr_hmac_sha256_80.json"} {
		v := loadVectors(t, file)
		if len(v.SFrame) == 0 {
			t.Fatalf("%s: no sframe vectors", file)
		}
		for _, c := range v.SFrame {
			t.Run(file+"/"+strconv.Itoa(int(c.Suite)), func(t *testing.T) {
				kid, ctr := uint64(c.KID), uint64(c.CTR)
				checkVector(t, c.Suite, kid, ctr, c.BaseKey, c.Key, c.Salt, c.Nonce, c.Metadata, c.AAD, c.PT, c.CT)
			})
		}
	}
}

func checkVector(t *testing.T, s Suite, kid, ctr uint64, base, wantKey, wantSalt, wantNonce, md, wantAAD, pt, wantCT []byte) {
	key, salt, err := deriveKeySalt(s, kid, base)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, wantKey) || !bytes.Equal(salt, wantSalt) {
		t.Fatalf("derive: key %x salt %x; want %x %x", key, salt, wantKey, wantSalt)
	}
	k, err := newKey(s, kid, base)
	if err != nil {
		t.Fatal(err)
	}
	if n := k.nonce(ctr); !bytes.Equal(n[:], wantNonce) {
		t.Errorf("nonce %x, want %x", n, wantNonce)
	}
	hdr := Header{KID: kid, CTR: ctr}.Append(nil)
	if a := aad(nil, hdr, md); !bytes.Equal(a, wantAAD) {
		t.Errorf("aad %x, want %x", a, wantAAD)
	}
	ct := k.seal(nil, ctr, md, pt)
	if !bytes.Equal(ct, wantCT) {
		t.Fatalf("seal %x, want %x", ct, wantCT)
	}
	r := NewReceiver(s)
	if err := r.AddKey(kid, base); err != nil {
		t.Fatal(err)
	}
	got, gotKID, err := r.Decrypt(nil, md, wantCT)
	if err != nil || gotKID != kid || !bytes.Equal(got, pt) {
		t.Fatalf("decrypt = %x, %d, %v; want %x, %d", got, gotKID, err, pt, kid)
	}
}

func TestVectorsCTRHMAC(t *testing.T) {
	v := loadVectors(t, "rfc9605-all.json")
	if len(v.CTRHMAC) != 3 {
		t.Fatalf("aes_ctr_hmac cases: %d, want 3", len(v.CTRHMAC))
	}
	for _, c := range v.CTRHMAC {
		p, err := c.Suite.params()
		if err != nil {
			t.Fatal(err)
		}
		a, err := newCTRHMAC(c.Key, p.nt)
		if err != nil {
			t.Fatal(err)
		}
		ct := a.Seal(nil, c.Nonce, c.PT, c.AAD)
		if !bytes.Equal(ct, c.CT) {
			t.Errorf("suite %d: seal %x, want %x", c.Suite, ct, []byte(c.CT))
		}
		pt, err := a.Open(nil, c.Nonce, c.CT, c.AAD)
		if err != nil || !bytes.Equal(pt, c.PT) {
			t.Errorf("suite %d: open %x, %v", c.Suite, pt, err)
		}
	}
}
