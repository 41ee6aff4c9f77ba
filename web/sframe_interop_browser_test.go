package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"conclave/sframe"
)

// interopFrame is harness.js's InteropFrame.
type interopFrame struct {
	Codec    string `json:"codec"`
	Metadata string `json:"metadata"`
	Data     string `json:"data"`
}

type interopCase struct {
	name     string
	codec    string // framing.js Codec value, "" for a bare SFrame ciphertext
	metadata []byte
	frame    []byte
}

// clearPrefix is the clear-prefix rule of E2EE.md ("Frame format") for
// the codecs of this test, written out independently of both
// implementations under test.
func clearPrefix(codec string, frame []byte) int {
	if codec != "vp8" || len(frame) == 0 {
		return 0
	}
	if frame[0]&1 == 0 {
		return min(10, len(frame))
	}
	return 1
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func interopCases(t *testing.T) []interopCase {
	vp8Key := randomBytes(t, 1500)
	vp8Key[0] = 0x50 // bit 0 clear: key frame
	vp8Delta := randomBytes(t, 300)
	vp8Delta[0] = 0x31 // bit 0 set: delta frame
	return []interopCase{
		{"bare empty", "", nil, nil},
		{"bare 1 byte", "", nil, randomBytes(t, 1)},
		{"bare with metadata", "", randomBytes(t, 10), randomBytes(t, 1200)},
		{"vp8 key", "vp8", nil, vp8Key},
		{"vp8 delta", "vp8", nil, vp8Delta},
		{"vp9", "vp9", nil, randomBytes(t, 900)},
		{"opus", "opus", nil, randomBytes(t, 80)},
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestBrowserSFrameInterop checks that frames encrypted by the Go sframe
// package decrypt in the shipped browser module, and the reverse, for
// every cipher suite, bare and with Conclave's codec framing; and that a
// tampered frame and an unknown KID are refused with their own errors.
func TestBrowserSFrameInterop(t *testing.T) {
	f := newSFrameFixture(t)
	suites := []sframe.Suite{sframe.AES128CTRHMACSHA256_80, sframe.AES128CTRHMACSHA256_64,
		sframe.AES128CTRHMACSHA256_32, sframe.AES128GCMSHA256, sframe.AES256GCMSHA512}
	kids := []uint64{3, 0x1234 & 0x3fff, 255<<6 | 3<<4 | 15}
	start := time.Now()
	n := 0
	for i, suite := range suites {
		kid := kids[i%len(kids)]
		baseKey := randomBytes(t, 16)
		t.Run(fmt.Sprintf("suite %d", suite), func(t *testing.T) {
			n += goToBrowser(t, f, suite, kid, baseKey)
			n += browserToGo(t, f, suite, kid, baseKey)
		})
	}
	t.Logf("%d frames crossed between Go and the browser in %v", n, time.Since(start))
	if n == 0 {
		t.Fatal("no frame crossed")
	}
	checkClean(t, f.page)
}

// goToBrowser encrypts in Go and decrypts in the browser; it returns the
// number of frames checked.
func goToBrowser(t *testing.T, f *sframeFixture, suite sframe.Suite, kid uint64, baseKey []byte) int {
	s, err := sframe.NewSender(suite, kid, baseKey)
	if err != nil {
		t.Fatal(err)
	}
	other, err := sframe.NewSender(suite, kid+1, baseKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := interopCases(t)
	var in []interopFrame
	var want []string
	for _, c := range cases {
		md, body := c.metadata, c.frame
		var prefix []byte
		if c.codec != "" {
			p := clearPrefix(c.codec, c.frame)
			prefix, md, body = c.frame[:p], c.frame[:p], c.frame[p:]
		}
		ct, err := s.Encrypt(nil, md, body)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		in = append(in, interopFrame{c.codec, b64(c.metadata), b64(append(bytes.Clone(prefix), ct...))})
		want = append(want, b64(c.frame))
	}
	tampered := in[len(in)-1]
	raw, _ := base64.StdEncoding.DecodeString(tampered.Data)
	raw[len(raw)/2] ^= 1
	tampered.Data = b64(raw)
	unknown, err := other.Encrypt(nil, nil, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	// The refused frames go first: the tampered one shares a counter with
	// a genuine frame, which the replay window would refuse afterwards.
	in = append([]interopFrame{tampered, {"", "", b64(unknown)}}, in...)
	want = append([]string{"error:auth", "error:unknown-kid"}, want...)

	frames, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	decode(t, f.call(t, "decryptBatch", fmt.Sprint(uint16(suite)), fmt.Sprint(kid), jsString(t, b64(baseKey)), string(frames)), &got)
	if len(got) != len(want) {
		t.Fatalf("browser decrypted %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Go to browser, frame %d: got %.40q, want %.40q", i, got[i], want[i])
		}
	}
	return len(want)
}

// browserToGo encrypts in the browser and decrypts in Go; it returns the
// number of frames checked.
func browserToGo(t *testing.T, f *sframeFixture, suite sframe.Suite, kid uint64, baseKey []byte) int {
	cases := interopCases(t)
	var in []interopFrame
	for _, c := range cases {
		in = append(in, interopFrame{c.codec, b64(c.metadata), b64(c.frame)})
	}
	frames, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	decode(t, f.call(t, "encryptBatch", fmt.Sprint(uint16(suite)), fmt.Sprint(kid), jsString(t, b64(baseKey)), string(frames)), &out)
	if len(out) != len(cases) {
		t.Fatalf("browser encrypted %d frames, want %d", len(out), len(cases))
	}
	r := sframe.NewReceiver(suite)
	if err := r.AddKey(kid, baseKey); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		data, err := base64.StdEncoding.DecodeString(out[i])
		if err != nil {
			t.Fatal(err)
		}
		p := clearPrefix(c.codec, data)
		md := c.metadata
		if c.codec != "" {
			md = data[:p]
		}
		h, _, err := sframe.ParseHeader(data[p:])
		if err != nil || h.KID != kid || h.CTR != uint64(i) {
			t.Errorf("browser to Go, %s: header %+v, %v; want kid %d ctr %d", c.name, h, err, kid, i)
		}
		pt, gotKID, err := r.Decrypt(nil, md, data[p:])
		if err != nil || gotKID != kid {
			t.Errorf("browser to Go, %s: kid %d, %v", c.name, gotKID, err)
			continue
		}
		if got := append(bytes.Clone(data[:p]), pt...); !bytes.Equal(got, c.frame) {
			t.Errorf("browser to Go, %s: decrypted frame differs", c.name)
		}
	}
	return len(cases)
}

// TestBrowserSFrameHeaderDifferential parses random byte strings with the
// browser module and with the Go package, and encodes random KID and CTR
// values with both: the answers must agree byte for byte.
func TestBrowserSFrameHeaderDifferential(t *testing.T) {
	f := newSFrameFixture(t)
	const n = 3000
	headers := make([]string, n)
	for i := range headers {
		b := randomBytes(t, i%19) // 0 to 18 bytes: every length around the 17-byte maximum
		headers[i] = b64(b)
	}
	pairs := make([][2]string, n)
	for i := range pairs {
		v := randomBytes(t, 16)
		// Shift by a varying amount so that every field length occurs.
		kid := binary.BigEndian.Uint64(v[:8]) >> (i % 64)
		ctr := binary.BigEndian.Uint64(v[8:]) >> ((i / 64) % 64)
		pairs[i] = [2]string{strconv.FormatUint(kid, 10), strconv.FormatUint(ctr, 10)}
	}
	hj, err := json.Marshal(headers)
	if err != nil {
		t.Fatal(err)
	}
	pj, err := json.Marshal(pairs)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Parsed, Encoded []string }
	decode(t, f.call(t, "headerBatch", string(hj), string(pj)), &got)
	if len(got.Parsed) != n || len(got.Encoded) != n {
		t.Fatalf("browser answered %d parses and %d encodings, want %d each", len(got.Parsed), len(got.Encoded), n)
	}
	parsedOK := 0
	for i, h := range headers {
		b, _ := base64.StdEncoding.DecodeString(h)
		want := "error:header"
		if hdr, l, err := sframe.ParseHeader(b); err == nil {
			want = fmt.Sprintf("%d %d %d", hdr.KID, hdr.CTR, l)
			parsedOK++
		}
		if got.Parsed[i] != want {
			t.Errorf("parse %x: browser %q, Go %q", b, got.Parsed[i], want)
		}
	}
	for i, p := range pairs {
		kid, _ := strconv.ParseUint(p[0], 10, 64)
		ctr, _ := strconv.ParseUint(p[1], 10, 64)
		if want := b64(sframe.Header{KID: kid, CTR: ctr}.Append(nil)); got.Encoded[i] != want {
			t.Errorf("encode kid %d ctr %d: browser %s, Go %s", kid, ctr, got.Encoded[i], want)
		}
	}
	t.Logf("%d headers parsed alike (%d valid, %d refused by both), %d encoded alike", n, parsedOK, n-parsedOK, n)
	if parsedOK == 0 || parsedOK == n {
		t.Errorf("%d of %d random headers parsed: want both outcomes exercised", parsedOK, n)
	}
}
