package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"conclave/internal/testenv"
	"conclave/web"
)

// The SFrame browser tests run the shipped js/e2ee modules, served by the
// real web.Handler, inside headless Chromium. The vectors and the test
// harness come from testdata/sframe through the test server's own routes
// under /sframe-test/, never from the product's embedded files.

const sframeTestPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sframe test</title><link rel="icon" href="data:,"></head>` +
	`<body><p>SFrame test page</p></body></html>`

// sframeFixture is a page on a server that serves web.Handler plus the test files.
type sframeFixture struct {
	page *testenv.Page
	base string // URL path of the product's js/e2ee/ directory, with its version
}

func newSFrameFixture(t *testing.T) *sframeFixture {
	t.Helper()
	product := web.Handler()
	mux := http.NewServeMux()
	mux.Handle("/", product)
	mux.HandleFunc("GET /sframe-test/{name}", serveSFrameTestFile)
	srv := newTLSServerFor(t, mux)

	base := staticBase(t, product) + "js/e2ee/"
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/sframe-test/page.html")
	return &sframeFixture{page: p, base: base}
}

// staticBase finds "/static/VERSION/" in the landing page.
func staticBase(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/static/[0-9a-f]+/`).Find(body)
	if m == nil {
		t.Fatal("the landing page names no /static/VERSION/ asset")
	}
	return string(m)
}

func serveSFrameTestFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	types := map[string]string{
		"page.html":        "text/html; charset=utf-8",
		"harness.js":       "text/javascript; charset=utf-8",
		"rfc9605-all.json": "application/json",
		"worker.js":        "text/javascript; charset=utf-8",
	}
	ct, ok := types[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body := []byte(sframeTestPage)
	if name != "page.html" {
		var err error
		if body, err = os.ReadFile(filepath.Join("testdata", "sframe", name)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// harnessResult is what every harness.js function resolves to.
type harnessResult struct {
	Ran      map[string]int
	Failures []string
}

// run calls harness.js's fn(args...) and decodes its result.
func (f *sframeFixture) run(t *testing.T, fn string, args ...string) harnessResult {
	t.Helper()
	out := f.call(t, fn, args...)
	var r harnessResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s: %v in %q", fn, err, out)
	}
	for _, msg := range r.Failures {
		t.Error(msg)
	}
	return r
}

// call evaluates harness.js's fn(base, args...), args being JS literals.
func (f *sframeFixture) call(t *testing.T, fn string, args ...string) string {
	t.Helper()
	list := jsString(t, f.base)
	for _, a := range args {
		list += ", " + a
	}
	return testenv.Eval[string](f.page, `import("/sframe-test/harness.js").then((m) => m.`+fn+`(`+list+`))`)
}

// TestBrowserSFrameVectors checks the shipped sframe.js against every
// RFC 9605 Appendix C vector: the header cases, the AES-CTR+HMAC AEAD
// cases and the SFrame cases of all five suites.
func TestBrowserSFrameVectors(t *testing.T) {
	f := newSFrameFixture(t)
	start := time.Now()
	r := f.run(t, "runVectors", jsString(t, "/sframe-test/rfc9605-all.json"))
	t.Logf("ran %v in %v", r.Ran, time.Since(start))

	var v struct {
		Header     []json.RawMessage `json:"header"`
		AESCTRHMAC []json.RawMessage `json:"aes_ctr_hmac"`
		SFrame     []json.RawMessage `json:"sframe"`
	}
	data, err := os.ReadFile(filepath.Join("testdata", "sframe", "rfc9605-all.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"header-encode": len(v.Header), "header-parse": len(v.Header),
		"aead-encrypt": len(v.AESCTRHMAC), "aead-decrypt": len(v.AESCTRHMAC),
		"sframe-key": len(v.SFrame), "sframe-salt": len(v.SFrame), "sframe-nonce": len(v.SFrame),
		"sframe-aad": len(v.SFrame), "sframe-encrypt": len(v.SFrame), "sframe-decrypt": len(v.SFrame),
		"sframe-tamper": 2 * len(v.SFrame),
	}
	for group, n := range want {
		if n == 0 || r.Ran[group] != n {
			t.Errorf("%s: ran %d checks, want %d (and more than 0)", group, r.Ran[group], n)
		}
	}
	checkClean(t, f.page)
}

// TestBrowserSFrameRoundTrip encrypts and decrypts through Sender,
// Receiver and the codec framing, and checks that every altered byte,
// a wrong key, an unknown KID and a replayed or too old counter are each
// refused with their own error.
func TestBrowserSFrameRoundTrip(t *testing.T) {
	f := newSFrameFixture(t)
	start := time.Now()
	r := f.run(t, "runRoundTrip")
	t.Logf("ran %v in %v", r.Ran, time.Since(start))
	for _, group := range []string{"roundtrip", "tamper", "replay", "framing"} {
		if r.Ran[group] == 0 {
			t.Errorf("%s: no check ran", group)
		}
	}
	checkClean(t, f.page)
}

// TestBrowserSFrameWorker runs the modules inside a module Worker, where
// the E2EE transform will run, and logs their cost per 720p-sized VP8
// frame (a 720p30 stream at ~2.5 Mbit/s averages ~10 kB a frame).
func TestBrowserSFrameWorker(t *testing.T) {
	f := newSFrameFixture(t)
	const frames, size = 300, 10_000
	out := f.call(t, "runInWorker", itoa(frames), itoa(size))
	var r struct {
		harnessResult
		EncryptMs, DecryptMs float64
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	for _, msg := range r.Failures {
		t.Error(msg)
	}
	if r.Ran["worker"] != frames {
		t.Errorf("worker checked %d frames, want %d", r.Ran["worker"], frames)
	}
	t.Logf("in a Worker, per %d-byte frame: encrypt %.3f ms, decrypt %.3f ms (%.1f%% of one core at 30 fps)",
		size, r.EncryptMs, r.DecryptMs, (r.EncryptMs+r.DecryptMs)*30/10)
	checkClean(t, f.page)
}
