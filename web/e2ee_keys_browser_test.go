package web_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"conclave/internal/testenv"
	"conclave/web"
)

// TestBrowserE2EEKeyVectors checks the shipped key protocol modules
// (js/e2ee/keys.js, safety.js, and the frame format of framing.js) against
// the vectors the Go bots' implementation wrote (testdata/e2ee at the
// repository root): both sides must produce the same bytes.
func TestBrowserE2EEKeyVectors(t *testing.T) {
	product := web.Handler()
	mux := http.NewServeMux()
	mux.Handle("/", product)
	files := map[string]string{
		"page.html":       "",
		"keys-harness.js": filepath.Join("testdata", "e2ee", "keys-harness.js"),
		"vectors.json":    filepath.Join("..", "testdata", "e2ee", "vectors.json"),
	}
	mux.HandleFunc("GET /e2ee-test/{name}", func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := []byte(sframeTestPage)
		if path != "" {
			var err error
			if body, err = os.ReadFile(path); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json"}[filepath.Ext(r.PathValue("name"))])
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
	srv := newTLSServerFor(t, mux)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/e2ee-test/page.html")
	base := staticBase(t, product) + "js/e2ee/"

	start := time.Now()
	out := testenv.Eval[string](p, `import("/e2ee-test/keys-harness.js").then((m) => m.runKeyVectors(`+jsString(t, base)+`, "/e2ee-test/vectors.json"))`)
	var r harnessResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	for _, msg := range r.Failures {
		t.Error(msg)
	}
	t.Logf("ran %v in %v", r.Ran, time.Since(start))
	for _, group := range []string{"derive", "announce", "pair", "ratchet", "key", "msg", "frame", "safety"} {
		if r.Ran[group] == 0 {
			t.Errorf("%s: no check ran", group)
		}
	}
	checkClean(t, p)
}
