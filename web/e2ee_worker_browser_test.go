package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"conclave/internal/testenv"
	"conclave/sframe"
	"conclave/web"
)

// The E2EE worker tests run the shipped js/e2ee worker modules, served by
// the real web.Handler, in headless Chromium: the key store and the frame
// path directly in the page (against the Go sframe package), and the
// whole worker in a loopback call (e2ee_call_browser_test.go). The test
// modules come from testdata/e2ee through the test server's own routes
// under /e2ee-test/, never from the product's embedded files.

const e2eeTestPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>e2ee worker test</title>` +
	`<link rel="icon" href="data:,"></head><body><p>E2EE worker test page</p></body></html>`

// e2eeFixture is a page on a server that serves web.Handler plus the test modules.
type e2eeFixture struct {
	page    *testenv.Page
	base    string // URL path of the product's js/e2ee/ directory, with its version
	browser *testenv.Browser
	url     string // of the test page
}

func newE2EEFixture(t *testing.T) *e2eeFixture {
	t.Helper()
	product := web.Handler()
	mux := http.NewServeMux()
	mux.Handle("/", product)
	mux.HandleFunc("GET /e2ee-test/{name}", serveE2EETestFile)
	srv := newTLSServerFor(t, mux)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{
		TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())},
		Timeout:    60 * time.Second,
		// The fake camera runs at 20 fps unless told.
		ExtraFlags: []string{"autoplay-policy=no-user-gesture-required", "use-fake-device-for-media-stream=fps=30"},
	})
	f := &e2eeFixture{base: staticBase(t, product) + "js/e2ee/", browser: b, url: srv.URL + "/e2ee-test/page.html"}
	return f.withPage(t)
}

// withPage returns a copy of f with a new page of the same browser, owned by t.
func (f *e2eeFixture) withPage(t *testing.T) *e2eeFixture {
	t.Helper()
	g := *f
	g.page = f.browser.NewPage(t)
	g.page.Navigate(f.url)
	return &g
}

func serveE2EETestFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body := []byte(e2eeTestPage)
	ct := "text/html; charset=utf-8"
	switch name {
	case "page.html":
	case "harness.js", "call.js":
		var err error
		if body, err = os.ReadFile(filepath.Join("testdata", "e2ee", name)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ct = "text/javascript; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// call evaluates module's fn(base, args...) and returns the string it resolves to.
func (f *e2eeFixture) call(t *testing.T, module, fn string, args ...any) string {
	t.Helper()
	list := jsString(t, f.base)
	for _, a := range args {
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		list += ", " + string(j)
	}
	return testenv.Eval[string](f.page, `import("/e2ee-test/`+module+`").then((m) => m.`+fn+`(`+list+`))`)
}

// TestBrowserE2EEKeyStore checks the worker's key store: the ratchet
// against Go's sframe.Ratchet, the forward window of 1–8 steps committed
// only after a frame authenticates, old steps kept 2 s (at most 3), the
// two newest generations, forget, the wait for a key, and refused input.
func TestBrowserE2EEKeyStore(t *testing.T) {
	f := newE2EEFixture(t)
	key := randomBytes(t, 16)
	want := struct {
		Key   string   `json:"key"`
		Chain []string `json:"chain"`
	}{Key: b64(key)}
	for range 20 {
		next, err := sframe.Ratchet(sframe.AES128GCMSHA256, key)
		if err != nil {
			t.Fatal(err)
		}
		want.Chain = append(want.Chain, b64(next))
		key = next
	}
	var r harnessResult
	decode(t, f.call(t, "harness.js", "keystoreChecks", want), &r)
	for _, msg := range r.Failures {
		t.Error(msg)
	}
	for _, group := range []string{"ratchet", "store", "window", "gen", "forget", "wait", "refuse"} {
		if r.Ran[group] == 0 {
			t.Errorf("%s: no check ran", group)
		}
	}
	if r.Ran["ratchet"] != len(want.Chain) {
		t.Errorf("ratchet: %d steps checked, want %d", r.Ran["ratchet"], len(want.Chain))
	}
	t.Logf("ran %v", r.Ran)
	checkClean(t, f.page)
}

// sealFrame is one frame for harness.js's sealBatch.
type sealFrame struct {
	Codec string `json:"codec"`
	Data  string `json:"data"`
}

// TestBrowserE2EESealToGo encrypts frames with the worker's send path and
// decrypts them with the Go sframe package, as a bot receives them: the
// same KID, one counter across codecs, empty frames in clear, and a VP8
// key frame too short for its clear header refused rather than sent.
func TestBrowserE2EESealToGo(t *testing.T) {
	f := newE2EEFixture(t)
	const index, gen, step = 9, 6, 21
	key := randomBytes(t, 32)
	vp8Key := randomBytes(t, 1500)
	vp8Key[0] = 0x50
	vp8Delta := randomBytes(t, 400)
	vp8Delta[0] = 0x31
	cases := []struct {
		codec string
		frame []byte
		sent  bool
	}{
		{"vp8", vp8Key, true},
		{"vp8", vp8Delta, true},
		{"vp9", randomBytes(t, 900), true},
		{"opus", randomBytes(t, 120), true},
		{"opus", nil, true},
		{"vp8", []byte{0x10, 1, 2, 3, 4}, false},
		{"vp8", vp8Delta, true},
	}
	job := struct {
		Index  int         `json:"index"`
		Gen    int         `json:"gen"`
		Step   int         `json:"step"`
		Key    string      `json:"key"`
		Frames []sealFrame `json:"frames"`
	}{index, gen, step, b64(key), nil}
	for _, c := range cases {
		job.Frames = append(job.Frames, sealFrame{c.codec, b64(c.frame)})
	}
	var got struct {
		Frames   []string
		Overhead int
		Sent     int
	}
	decode(t, f.call(t, "harness.js", "sealBatch", job), &got)
	if len(got.Frames) != len(cases) {
		t.Fatalf("sealed %d frames, want %d", len(got.Frames), len(cases))
	}
	kid := sframe.KID{SenderIndex: index, Generation: gen, Step: step}.Pack()
	r := sframe.NewReceiver(sframe.AES128GCMSHA256)
	if err := r.AddKey(kid, key); err != nil {
		t.Fatal(err)
	}
	codecs := map[string]sframe.Codec{"vp8": sframe.CodecVP8, "vp9": sframe.CodecVP9, "opus": sframe.CodecOpus}
	ctr, overhead := uint64(0), 0
	for i, c := range cases {
		if !c.sent {
			if got.Frames[i] != "dropped" {
				t.Errorf("frame %d (%s, %d bytes): sent, want refused", i, c.codec, len(c.frame))
			}
			continue
		}
		data := unb64(t, got.Frames[i])
		if len(c.frame) == 0 {
			if len(data) != 0 {
				t.Errorf("frame %d: empty frame became %d bytes", i, len(data))
			}
			continue
		}
		p := clearPrefix(c.codec, data)
		if h, _, err := sframe.ParseHeader(data[p:]); err != nil || h.KID != kid || h.CTR != ctr {
			t.Errorf("frame %d: header %+v, %v; want kid %d ctr %d", i, h, err, kid, ctr)
		}
		ctr++
		overhead += len(data) - len(c.frame)
		plain, gotKID, err := sframe.DecryptFrame(r, codecs[c.codec], data)
		if err != nil || gotKID != kid || b64(plain) != b64(c.frame) {
			t.Errorf("frame %d (%s): Go decrypts kid %d, %v, same bytes %v", i, c.codec, gotKID, err, b64(plain) == b64(c.frame))
		}
	}
	if got.Sent != int(ctr) || got.Overhead != overhead {
		t.Errorf("worker counted %d frames and %d overhead bytes, want %d and %d", got.Sent, got.Overhead, ctr, overhead)
	}
	t.Logf("%d frames sealed, %.1f bytes of overhead per frame", ctr, float64(overhead)/float64(ctr))
	checkClean(t, f.page)
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openKey and openFrame are harness.js openBatch's job.
type openKey struct {
	Index int    `json:"index"`
	Gen   int    `json:"gen"`
	Step  int    `json:"step"`
	Key   string `json:"key"`
}

type openFrame struct {
	Data    string `json:"data"`
	Key     bool   `json:"key"` // a video key frame
	LateKey *int   `json:"lateKey,omitempty"`
}

// goSender encrypts frames as a bot does, under the key of (index, gen, step).
type goSender struct {
	t     *testing.T
	codec sframe.Codec
	s     *sframe.Sender
}

func newGoSender(t *testing.T, codec sframe.Codec, index, gen, step uint8, baseKey []byte) *goSender {
	t.Helper()
	for range step {
		var err error
		if baseKey, err = sframe.Ratchet(sframe.AES128GCMSHA256, baseKey); err != nil {
			t.Fatal(err)
		}
	}
	s, err := sframe.NewSender(sframe.AES128GCMSHA256, sframe.KID{SenderIndex: index, Generation: gen, Step: step}.Pack(), baseKey)
	if err != nil {
		t.Fatal(err)
	}
	return &goSender{t, codec, s}
}

func (g *goSender) seal(frame []byte) []byte {
	g.t.Helper()
	out, err := sframe.EncryptFrame(g.s, g.codec, frame)
	if err != nil {
		g.t.Fatal(err)
	}
	return out
}

// TestBrowserE2EEOpenFromGo feeds frames encrypted by the Go sframe
// package, as a bot sends them, through the worker's receive path: keys
// picked from the KID, the ratchet followed forward, an older step still
// accepted, a tampered and a replayed frame dropped and counted, a frame
// held until its key message arrives, an unknown sender's frame dropped
// after the 500 ms hold, empty frames passed, and key-frame requests only
// on video delta frames of a new key.
func TestBrowserE2EEOpenFromGo(t *testing.T) {
	f := newE2EEFixture(t)
	for _, tc := range []struct {
		kind, codec  string
		goCodec      sframe.Codec
		wantRequests int
	}{
		{"video", "vp8", sframe.CodecVP8, 2},
		{"video", "vp9", sframe.CodecVP9, 2},
		{"audio", "opus", sframe.CodecOpus, 0},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			testOpenFromGo(t, f, tc.kind, tc.codec, tc.goCodec, tc.wantRequests)
		})
	}
	checkClean(t, f.page)
}

func testOpenFromGo(t *testing.T, f *e2eeFixture, kind, codec string, goCodec sframe.Codec, wantRequests int) {
	k0, k1, other := randomBytes(t, 16), randomBytes(t, 16), randomBytes(t, 16)
	step0 := newGoSender(t, goCodec, 5, 0, 0, k0)
	step2 := newGoSender(t, goCodec, 5, 0, 2, k0)
	gen1 := newGoSender(t, goCodec, 5, 1, 0, k1)
	stranger := newGoSender(t, goCodec, 6, 0, 0, other)
	frame := func(key bool) []byte {
		b := randomBytes(t, 700)
		b[0] = 0x31 // VP8 delta frame
		if key {
			b[0] = 0x50
		}
		return b
	}
	plain := [][]byte{frame(true), frame(false), frame(false), frame(false), frame(false), frame(false), {}}
	s2 := step2.seal(plain[2])
	tampered := step2.seal(plain[4])
	tampered[len(tampered)-3] ^= 0x40
	lateKey := 1
	frames := []openFrame{
		{Data: b64(step0.seal(plain[0])), Key: true},
		{Data: b64(step0.seal(plain[1]))},
		{Data: b64(s2)},                                     // 2 steps ahead: ratchet
		{Data: b64(step0.seal(plain[3]))},                   // the older step, still kept
		{Data: b64(tampered)},                               // authentication fails
		{Data: b64(s2)},                                     // replayed
		{Data: b64(gen1.seal(plain[5])), LateKey: &lateKey}, // held for its key
		{Data: b64(stranger.seal(frame(false)))},            // no key ever: dropped after the hold
		{Data: ""},                                          // empty: passes
	}
	want := []string{b64(plain[0]), b64(plain[1]), b64(plain[2]), b64(plain[3]), b64(plain[5]), ""}
	job := map[string]any{
		"kind": kind, "codec": codec, "frames": frames,
		"keys": []openKey{{5, 0, 0, b64(k0)}, {5, 1, 0, b64(k1)}},
	}
	var got struct {
		Delivered []string
		Counters  map[string]struct{ Frames, Failures, UnknownKid, Held, Replayed, Dropped, Foreign int }
		Events    []string
		Requests  int
		Ms        float64
	}
	decode(t, f.call(t, "harness.js", "openBatch", job), &got)
	if len(got.Delivered) != len(want) {
		t.Fatalf("delivered %d frames, want %d (counters %+v, events %q)", len(got.Delivered), len(want), got.Counters, got.Events)
	}
	for i := range want {
		if got.Delivered[i] != want[i] {
			t.Errorf("delivered frame %d differs from the plaintext", i)
		}
	}
	type counters = struct{ Frames, Failures, UnknownKid, Held, Replayed, Dropped, Foreign int }
	if c := got.Counters["5"]; c != (counters{Frames: 5, Failures: 1, UnknownKid: 1, Held: 1, Replayed: 1, Dropped: 2}) {
		t.Errorf("sender 5 counters %+v, want 5 frames, 1 failure, 1 unknown KID held, 1 replayed, 2 dropped", c)
	}
	if c := got.Counters["6"]; c != (counters{UnknownKid: 1, Dropped: 1}) {
		t.Errorf("sender 6 counters %+v, want 1 unknown KID, dropped", c)
	}
	wantEvents := []string{"keyUsed 5/0/0", "keyUsed 5/0/2", "keyUsed 5/1/0"}
	if len(got.Events) != len(wantEvents) {
		t.Errorf("events %q, want %q", got.Events, wantEvents)
	} else {
		for i := range wantEvents {
			if got.Events[i] != wantEvents[i] {
				t.Errorf("events %q, want %q", got.Events, wantEvents)
				break
			}
		}
	}
	if got.Requests != wantRequests {
		t.Errorf("%d key-frame requests, want %d", got.Requests, wantRequests)
	}
	if got.Ms < 450 || got.Ms > 2000 {
		t.Errorf("batch took %.0f ms, want the 500 ms hold of the stranger's frame", got.Ms)
	}
}

// TestBrowserE2EEAttachEarly attaches a worker to a sender and a receiver
// in the task that starts it, before its module has run, as a page may
// inside ontrack: Chromium keeps the transforms for the worker (both
// APIs), so none is lost. It also checks e2eeSupport's choice on
// Chromium, which has both APIs, and the RTCConfiguration of each path.
func TestBrowserE2EEAttachEarly(t *testing.T) {
	f := newE2EEFixture(t)
	for _, tc := range []struct{ mode, pcConfig string }{
		{"script", `{}`},
		{"streams", `{"encodedInsertableStreams":true}`},
	} {
		for range 3 {
			var got struct {
				Transforms int
				Support    string
				PCConfig   json.RawMessage
			}
			decode(t, f.call(t, "harness.js", "attachEarly", tc.mode), &got)
			if got.Transforms != 2 {
				t.Errorf("%s: the worker runs %d transforms, want 2", tc.mode, got.Transforms)
			}
			if got.Support != "script" {
				t.Errorf("e2eeSupport() = %q on Chromium, want script", got.Support)
			}
			if string(got.PCConfig) != tc.pcConfig {
				t.Errorf("%s: pcConfig() = %s, want %s", tc.mode, got.PCConfig, tc.pcConfig)
			}
		}
	}
	checkClean(t, f.page)
}

// TestBrowserE2EEReceiverBinding: a receiver bound to one sender index
// (the participant the server says owns the track) hands the decoder only
// that sender's frames. Frames of another sender whose key it holds are
// dropped, so a server that relabels tracks cannot show one person's
// video as another's.
func TestBrowserE2EEReceiverBinding(t *testing.T) {
	f := newE2EEFixture(t)
	k5, k6 := randomBytes(t, 16), randomBytes(t, 16)
	owner := newGoSender(t, sframe.CodecVP8, 5, 0, 0, k5)
	other := newGoSender(t, sframe.CodecVP8, 6, 0, 0, k6)
	frame := func(first byte) []byte {
		b := randomBytes(t, 500)
		b[0] = first
		return b
	}
	key, delta := frame(0x50), frame(0x31)
	job := map[string]any{
		"kind": "video", "codec": "vp8", "bind": 5,
		"frames": []openFrame{
			{Data: b64(owner.seal(key)), Key: true},
			{Data: b64(other.seal(frame(0x50))), Key: true}, // decryptable, but not this track's sender
			{Data: b64(owner.seal(delta))},
		},
		"keys": []openKey{{5, 0, 0, b64(k5)}, {6, 0, 0, b64(k6)}},
	}
	var got struct {
		Delivered []string
		Counters  map[string]struct{ Frames, Foreign, Dropped int }
	}
	decode(t, f.call(t, "harness.js", "openBatch", job), &got)
	if len(got.Delivered) != 2 || got.Delivered[0] != b64(key) || got.Delivered[1] != b64(delta) {
		t.Errorf("delivered %d frames, want exactly the owner's 2", len(got.Delivered))
	}
	if c := got.Counters["6"]; c.Foreign != 1 || c.Dropped != 1 || c.Frames != 0 {
		t.Errorf("the other sender's counters %+v, want 1 foreign frame dropped", c)
	}
	if c := got.Counters["5"]; c.Frames != 2 || c.Foreign != 0 {
		t.Errorf("the owner's counters %+v, want 2 frames", c)
	}
	checkClean(t, f.page)
}
