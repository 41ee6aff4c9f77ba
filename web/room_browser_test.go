package web_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// key is a well-formed room secret for links in tests.
const key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// waitPreview waits until the pre-join preview shows frames of the fake
// camera.
func waitPreview(t *testing.T, p *testenv.Page) {
	t.Helper()
	p.WaitFor(`document.getElementById("preview-video").videoWidth > 0`)
}

func TestBrowserPrejoin(t *testing.T) {
	srv := newTLSServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	origin := srv.URL

	t.Run("preview and name from the link", func(t *testing.T) {
		p := b.NewPage(t)
		p.Do(emulateMedia("prefers-reduced-motion", "reduce"))
		p.Navigate(origin + "/r/brisk-otter-42?name=Ada%20Lovelace#k=" + key)
		waitPreview(t, p)
		if got := testenv.Eval[string](p, `document.getElementById("display-name").value`); got != "Ada Lovelace" {
			t.Errorf("name: got %q, want Ada Lovelace from ?name=", got)
		}
		if got := testenv.Eval[string](p, `document.getElementById("prejoin-room").textContent`); got != "brisk-otter-42" {
			t.Errorf("room shown: got %q", got)
		}
		if got := testenv.Eval[string](p, "document.title"); got != "brisk-otter-42 · Conclave" {
			t.Errorf("title: got %q", got)
		}
		// The fake devices are listed, and the camera select is usable.
		p.WaitFor(`!document.getElementById("camera-select").disabled`)
		cams := testenv.Eval[int](p, `document.getElementById("camera-select").options.length`)
		mics := testenv.Eval[int](p, `document.getElementById("mic-select").options.length`)
		if cams < 1 || mics < 1 {
			t.Errorf("device choice: %d cameras, %d microphones; want at least one each", cams, mics)
		}
		if !testenv.Eval[bool](p, `window.conclave.hasSecret() && window.conclave.phase() === "prejoin"`) {
			t.Error("the hook does not report the pre-join phase with the key read from the fragment")
		}
		if testenv.Eval[bool](p, `!document.getElementById("media-notice").hidden`) {
			t.Errorf("a media notice shows with working fake devices: %q",
				testenv.Eval[string](p, `document.getElementById("media-notice").textContent`))
		}
		p.Screenshot(screenshotPath(t, "prejoin-desktop-light.png"))
		checkClean(t, p)
	})

	t.Run("camera off and on", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/r/t#k=" + key)
		waitPreview(t, p)
		p.Do(chromedp.Click(chromedp.CSS("#preview-cam")))
		p.WaitFor(`!document.getElementById("preview-off").hidden`)
		if got := testenv.Eval[string](p, `document.getElementById("preview-cam").getAttribute("aria-pressed")`); got != "false" {
			t.Errorf("camera button after turning off: aria-pressed %q, want false", got)
		}
		p.Do(chromedp.Click(chromedp.CSS("#preview-mic")))
		p.Screenshot(screenshotPath(t, "prejoin-camera-off.png"))
		p.Do(chromedp.Click(chromedp.CSS("#preview-cam")))
		waitPreview(t, p)
		checkClean(t, p)
	})

	t.Run("name from storage, phone, dark", func(t *testing.T) {
		p := b.NewPage(t)
		p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			emulateMedia("prefers-color-scheme", "dark"))
		p.Navigate(origin + "/")
		testenv.Eval[bool](p, `(localStorage.setItem("conclave.displayName", "Grace"), true)`)
		p.Navigate(origin + "/r/brisk-otter-42#k=" + key)
		waitPreview(t, p)
		if got := testenv.Eval[string](p, `document.getElementById("display-name").value`); got != "Grace" {
			t.Errorf("name: got %q, want Grace from localStorage", got)
		}
		if testenv.Eval[bool](p, "document.documentElement.scrollWidth > window.innerWidth") {
			t.Error("the pre-join screen scrolls sideways on a 390 px wide phone")
		}
		p.Screenshot(screenshotPath(t, "prejoin-phone-dark.png"))
		checkClean(t, p)
	})

	t.Run("empty name", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/")
		testenv.Eval[bool](p, `(localStorage.clear(), true)`) // the browser's profile is shared by subtests
		p.Navigate(origin + "/r/t#k=" + key)
		waitPreview(t, p)
		p.Do(chromedp.Click(chromedp.CSS("#join-button")))
		msg := testenv.Eval[string](p, `document.getElementById("prejoin-error").textContent`)
		if !strings.Contains(msg, "Enter your name") {
			t.Errorf("error: got %q, want a request for a name", msg)
		}
		if got := testenv.Eval[string](p, "window.conclave.phase()"); got != "prejoin" {
			t.Errorf("phase: got %q, want prejoin", got)
		}
		checkClean(t, p)
	})

	t.Run("link without its key", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/r/brisk-otter-42")
		p.WaitFor(`!document.getElementById("key-form").hidden && document.getElementById("join-form").hidden`)
		if got := testenv.Eval[string](p, "window.conclave.phase()"); got != "key" {
			t.Errorf("phase: got %q, want key", got)
		}
		p.Screenshot(screenshotPath(t, "prejoin-no-key.png"))
		p.Do(chromedp.SendKeys(chromedp.CSS("#key-input"), "not-a-key"), chromedp.Click(chromedp.CSS("#key-button")))
		if msg := testenv.Eval[string](p, `document.getElementById("key-error").textContent`); msg == "" {
			t.Error("a bad key shows no error")
		}
		p.Do(chromedp.SetValue(chromedp.CSS("#key-input"), origin+"/r/brisk-otter-42#k="+key), chromedp.Click(chromedp.CSS("#key-button")))
		p.WaitFor(`document.getElementById("key-form").hidden && !document.getElementById("join-form").hidden`)
		waitPreview(t, p)
		if !testenv.Eval[bool](p, "window.conclave.hasSecret()") {
			t.Error("the pasted link's key was not taken")
		}
		checkClean(t, p)
	})
}

// TestBrowserMeetingModules runs the meeting client's pure functions in
// the browser.
func TestBrowserMeetingModules(t *testing.T) {
	srv := newTLSServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/r/t")
	// call evaluates module.fn(args...) with JSON arguments and returns
	// the JSON of its result.
	call := func(module, fn string, args ...string) string {
		t.Helper()
		return testenv.Eval[string](p, `import(new URL("./`+module+`", document.querySelector("script[type=module]").src))
			.then((m) => JSON.stringify(m.`+fn+`(`+strings.Join(args, ",")+`)))`)
	}

	t.Run("room from path", func(t *testing.T) {
		tests := []struct{ in, want string }{
			{"/r/brisk-otter-42", "brisk-otter-42"},
			{"/r/Team-Sync", "team-sync"},
			{"/r/%61bc", "abc"},
			{"/r/", ""},
			{"/r/a/b", ""},
			{"/r/a%20b", ""},
			{"/r/%E0%A4%A", ""},
			{"/x/abc", ""},
			{"/r/" + strings.Repeat("a", 65), ""},
		}
		for _, tt := range tests {
			if got := call("lib/roomlink.js", "roomFromPath", jsString(t, tt.in)); got != jsString(t, tt.want) {
				t.Errorf("roomFromPath(%q): got %s, want %q", tt.in, got, tt.want)
			}
		}
	})

	t.Run("secret from fragment", func(t *testing.T) {
		tests := []struct{ in, want string }{
			{"#k=" + key, key},
			{"#k=abc_-9&x=1", "abc_-9"},
			{"#x=1&k=abc", "abc"},
			{"", ""},
			{"#", ""},
			{"#k=", ""},
			{"#k=a%20b", ""},
			{"#k=<script>", ""},
		}
		for _, tt := range tests {
			if got := call("lib/roomlink.js", "secretFromFragment", jsString(t, tt.in)); got != jsString(t, tt.want) {
				t.Errorf("secretFromFragment(%q): got %s, want %q", tt.in, got, tt.want)
			}
		}
	})

	t.Run("grid layout", func(t *testing.T) {
		tests := []struct {
			n, w, h        int
			wantCols, rows int
		}{
			{1, 1248, 660, 1, 1},
			{2, 1248, 660, 2, 1},
			{3, 1248, 660, 2, 2},
			{4, 1248, 660, 2, 2},
			{5, 1248, 660, 3, 2},
			{9, 1248, 660, 3, 3},
			{10, 1248, 660, 4, 3},
			{2, 374, 700, 1, 2},  // a phone stacks two tiles
			{4, 374, 700, 1, 4},  // and four
			{0, 1248, 660, 1, 1}, // an empty grid still has a shape
		}
		for _, tt := range tests {
			var got struct{ Cols, Rows, Width, Height int }
			decode(t, call("ui/grid.js", "bestLayout", itoa(tt.n), itoa(tt.w), itoa(tt.h)), &got)
			if got.Cols != tt.wantCols || got.Rows != tt.rows {
				t.Errorf("bestLayout(%d, %d, %d): got %dx%d, want %dx%d", tt.n, tt.w, tt.h, got.Cols, got.Rows, tt.wantCols, tt.rows)
			}
			if got.Cols*got.Width > tt.w || got.Rows*got.Height > tt.h {
				t.Errorf("bestLayout(%d, %d, %d): %dx%d tiles of %dx%d overflow", tt.n, tt.w, tt.h, got.Cols, got.Rows, got.Width, got.Height)
			}
		}
	})

	t.Run("error texts", func(t *testing.T) {
		codes := []struct{ code, want string }{
			{"room-full", "This meeting is full"},
			{"bad-name", "That name cannot be used"},
			{"internal", "went wrong on the server"},
			{"no-such-code", "Something went wrong"},
		}
		for _, tt := range codes {
			if got := call("ui/text.js", "serverErrorText", jsString(t, tt.code)); !strings.Contains(got, tt.want) {
				t.Errorf("serverErrorText(%s): got %s, want %q", tt.code, got, tt.want)
			}
		}
		tests := []struct{ kind, name, want string }{
			{"video", "NotAllowedError", "Camera blocked"},
			{"audio", "NotAllowedError", "Microphone blocked"},
			{"video", "NotFoundError", "No camera found"},
			{"video", "NotReadableError", "in use by another app"},
		}
		for _, tt := range tests {
			got := call("ui/text.js", "mediaErrorText", jsString(t, tt.kind), `new DOMException("x", `+jsString(t, tt.name)+`)`)
			if !strings.Contains(got, tt.want) {
				t.Errorf("mediaErrorText(%s, %s): got %s, want %q", tt.kind, tt.name, got, tt.want)
			}
		}
	})
	checkClean(t, p)
}

func itoa(n int) string { return strconv.Itoa(n) }

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
}
