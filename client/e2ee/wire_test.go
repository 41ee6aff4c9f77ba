package e2ee

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	validAnnounce = `{"t":"announce","v":1,"pid":"p_a","index":7,"ecdh":"BJIJz8b34SIsHXNlxLWjo5LozgKGO7ycNJ7DAQok51iaEiTEZUk-0pNEJBwV6hrxPVzBcIUcESvmTRgVBkqu-vE","mac":"RF-sDlGCWm_8ELYTm6t1Nuak8tBnHAt_snF2Pc_qJEo"}`
	validKey      = `{"t":"key","v":1,"index":7,"gen":3,"step":2,"nonce":"ICEiIyQlJicoKSor","ct":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`
	validAck      = `{"t":"ack","v":1,"gen":3,"step":2}`
	validMsg      = `{"t":"msg","v":1,"index":7,"gen":3,"step":2,"nonce":"ICEiIyQlJicoKSor","ct":"AAAAAAAAAAAAAAAAAAAAAAAAAAA"}`
)

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name, in string
		want     error // nil: decodes
	}{
		{"announce", validAnnounce, nil},
		{"key", validKey, nil},
		{"ack", validAck, nil},
		{"msg", validMsg, nil},
		{"unknown field ignored", strings.Replace(validAck, `"gen"`, `"x":[1,2],"gen"`, 1), nil},
		{"not json", `{"t":`, ErrBadMessage},
		{"array", `[1]`, ErrBadMessage},
		{"two objects", validAck + validAck, ErrBadMessage},
		{"no v", `{"t":"ack","gen":1,"step":1}`, ErrBadMessage},
		{"v 2", strings.Replace(validAck, `"v":1`, `"v":2`, 1), ErrVersion},
		{"unknown t", `{"t":"nope","v":1}`, ErrUnknownType},
		{"ack without step", `{"t":"ack","v":1,"gen":1}`, ErrBadMessage},
		{"negative gen", `{"t":"ack","v":1,"gen":-1,"step":1}`, ErrBadMessage},
		{"fractional gen", `{"t":"ack","v":1,"gen":1.5,"step":1}`, ErrBadMessage},
		{"gen over 2^32", `{"t":"ack","v":1,"gen":4294967296,"step":1}`, ErrBadMessage},
		{"index 0", strings.Replace(validKey, `"index":7`, `"index":0`, 1), ErrBadMessage},
		{"index 256", strings.Replace(validKey, `"index":7`, `"index":256`, 1), ErrBadMessage},
		{"index string", strings.Replace(validKey, `"index":7`, `"index":"7"`, 1), ErrBadMessage},
		{"short nonce", strings.Replace(validKey, `ICEiIyQlJicoKSor`, `ICEiIyQlJico`, 1), ErrBadMessage},
		{"padded base64", strings.Replace(validMsg, `AAAAAAAAAAAAAAAAAAAAAAAAAAA"`, `AAAAAAAAAAAAAAAAAAAAAAAAAAA="`, 1), ErrBadMessage},
		{"standard base64", strings.Replace(validKey, `ICEiIyQlJicoKSor`, `ICEiIyQlJico+Sor`, 1), ErrBadMessage},
		{"key ct of 33", strings.Replace(validKey, `AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, `AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 1), ErrBadMessage},
		{"msg ct under a tag", strings.Replace(validMsg, `AAAAAAAAAAAAAAAAAAAAAAAAAAA`, `AAAA`, 1), ErrBadMessage},
		{"announce pid with space", strings.Replace(validAnnounce, `"p_a"`, `"p a"`, 1), ErrBadMessage},
		{"announce empty pid", strings.Replace(validAnnounce, `"p_a"`, `""`, 1), ErrBadMessage},
		{"announce compressed point", strings.Replace(validAnnounce, `"BJIJ`, `"AJIJ`, 1), ErrBadMessage},
		{"announce short mac", strings.Replace(validAnnounce, `RF-sDlGCWm_8ELYTm6t1Nuak8tBnHAt_snF2Pc_qJEo`, `RF-sDlGCWm_8`, 1), ErrBadMessage},
		{"too big", `{"t":"ack","v":1,"gen":1,"step":1,"pad":"` + strings.Repeat("x", MaxMessageBytes) + `"}`, ErrBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeMessage([]byte(tt.in))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				b, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				m2, err := DecodeMessage(b)
				if err != nil || m2.Type() != m.Type() {
					t.Fatalf("round trip of %s: %v", b, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzDecodeMessage: any input either fails cleanly or decodes to a message that encodes and
// decodes again to the same message.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{validAnnounce, validKey, validAck, validMsg, `{}`, `{"t":"key","v":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if m != nil {
				t.Fatalf("message %v with error %v", m, err)
			}
			return
		}
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("encode %#v: %v", m, err)
		}
		m2, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		enc2, _ := json.Marshal(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %s vs %s", enc, enc2)
		}
	})
}

func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"kind":"chat","id":"m1","text":"hi","ts":1}`, `{"kind":"reaction","emoji":"👍"}`,
		`{"kind":"hand","raised":true,"ts":5}`, `{"kind":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := DecodeBody(b)
		if err == nil && body.Kind == "chat" && len([]rune(body.Text)) > MaxChatChars {
			t.Fatalf("accepted %d characters", len([]rune(body.Text)))
		}
	})
}

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{`{"kind":"chat","id":"m1","text":"hi","ts":1}`, nil},
		{`{"kind":"chat","id":"m1","text":"` + strings.Repeat("é", MaxChatChars) + `"}`, nil},
		{`{"kind":"chat","id":"m1","text":"` + strings.Repeat("é", MaxChatChars+1) + `"}`, ErrBadMessage},
		{`{"kind":"chat","text":"no id"}`, ErrBadMessage},
		{`{"kind":"reaction","emoji":"👍"}`, nil},
		{`{"kind":"reaction"}`, ErrBadMessage},
		{`{"kind":"hand","raised":false}`, nil},
		{`{"kind":"hand"}`, ErrBadMessage},
		{`{"kind":"poll"}`, ErrUnknownType},
		{`{"kind":"chat","id":"m1","text":1}`, ErrBadMessage},
	}
	for _, tt := range tests {
		_, err := DecodeBody([]byte(tt.in))
		if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("%.60s: got %v, want %v", tt.in, err, tt.want)
		}
	}
}

// TestSeedCorpus keeps the committed corpus in step with the valid examples above.
func TestSeedCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeMessage", "*"))
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 seed files, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
			t.Errorf("%s: not a fuzz corpus file (%v)", f, err)
		}
	}
}
