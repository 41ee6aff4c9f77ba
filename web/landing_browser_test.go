package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
	"conclave/web"
)

// Browser tests: run them inside a private network namespace, so that
// nothing but loopback is reachable:
//
//	go test -c -o /tmp/web.test ./web/ &&
//	unshare -n sh -c 'ip link set lo up; /tmp/web.test -test.run Browser -test.v'
//
// Screenshots go to $CONCLAVE_SCREENSHOTS when set, else to a temporary
// directory; each path is logged.

// appCSP is the policy the appliance sets on every response (DESIGN.md,
// TESTPLAN.md "Web and admin security expectations").
const appCSP = "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; style-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// newTLSServer serves web.Handler() on 127.0.0.1 with the appliance's headers.
func newTLSServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newTLSServerFor(t, web.Handler())
}

// newTLSServerFor serves h on 127.0.0.1 with the appliance's headers.
func newTLSServerFor(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", appCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func screenshotPath(t *testing.T, name string) string {
	dir := os.Getenv("CONCLAVE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return filepath.Join(dir, name)
}

// jsString quotes s as a JavaScript string literal.
func jsString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// emulateMedia makes the page match a CSS media feature, such as
// prefers-color-scheme: dark.
func emulateMedia(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: name, Value: value}},
		})
		return err
	})
}

// checkClean fails on any CSP violation or console error of the page.
func checkClean(t *testing.T, p *testenv.Page) {
	t.Helper()
	if v := p.CSPViolations(); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
	if e := p.ConsoleErrors(); len(e) != 0 {
		t.Errorf("console errors: %q", e)
	}
}

func TestBrowserLanding(t *testing.T) {
	srv := newTLSServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	origin := srv.URL

	t.Run("renders", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/")
		if got := testenv.Eval[string](p, "document.title"); got != "Conclave" {
			t.Errorf("title: got %q, want Conclave", got)
		}
		text := testenv.Eval[string](p, "document.body.innerText")
		for _, s := range []string{"Conclave", "Private video meetings on your own server.", "Start a meeting",
			"Download this server's certificate", "Admin"} {
			if !strings.Contains(text, s) {
				t.Errorf("page text lacks %q", s)
			}
		}
		if testenv.Eval[bool](p, `!document.getElementById("insecure").hidden`) {
			t.Error("the insecure-connection notice shows over HTTPS")
		}
		p.Screenshot(screenshotPath(t, "landing-desktop-light.png"))
		checkClean(t, p)
	})

	t.Run("phone dark", func(t *testing.T) {
		p := b.NewPage(t)
		p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			emulateMedia("prefers-color-scheme", "dark"))
		p.Navigate(origin + "/")
		if testenv.Eval[bool](p, "document.documentElement.scrollWidth > window.innerWidth") {
			t.Error("the page scrolls sideways on a 390 px wide phone")
		}
		bg := testenv.Eval[string](p, "getComputedStyle(document.body).backgroundColor")
		if bg != "rgb(13, 15, 22)" {
			t.Errorf("dark background: got %s, want rgb(13, 15, 22)", bg)
		}
		p.Screenshot(screenshotPath(t, "landing-phone-dark.png"))
		checkClean(t, p)
	})

	t.Run("invalid room name", func(t *testing.T) {
		p := b.NewPage(t)
		// No transitions, so that colours are final when we read them.
		p.Do(emulateMedia("prefers-reduced-motion", "reduce"))
		p.Navigate(origin + "/")
		p.Do(chromedp.SendKeys(chromedp.CSS("#join-input"), "bad room!"),
			chromedp.Click(chromedp.CSS(`#join-form button[type="submit"]`)))
		msg := testenv.Eval[string](p, `document.getElementById("join-error").textContent`)
		if !strings.Contains(msg, "1 to 64 letters") {
			t.Errorf("error text: got %q, want the room name rule", msg)
		}
		if got := testenv.Eval[string](p, `document.getElementById("join-input").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("aria-invalid: got %q, want true", got)
		}
		if got := testenv.Eval[string](p, "location.pathname"); got != "/" {
			t.Errorf("navigated to %s despite the error", got)
		}
		border := testenv.Eval[string](p, `getComputedStyle(document.getElementById("join-input")).borderTopColor`)
		if border != "rgb(192, 38, 45)" {
			t.Errorf("invalid input border: got %s, want the danger colour rgb(192, 38, 45)", border)
		}
		p.Screenshot(screenshotPath(t, "landing-error.png"))
		checkClean(t, p)
	})

	t.Run("display name remembered", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/")
		p.Do(chromedp.SendKeys(chromedp.CSS("#display-name"), "Ada Lovelace"), chromedp.Reload())
		if got := testenv.Eval[string](p, `document.getElementById("display-name").value`); got != "Ada Lovelace" {
			t.Errorf("after reload: got %q, want Ada Lovelace", got)
		}
		if got := testenv.Eval[string](p, `localStorage.getItem("conclave.displayName")`); got != "Ada Lovelace" {
			t.Errorf("stored: got %q", got)
		}
	})

	t.Run("start a meeting", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/")
		testenv.Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("#start"))))
		// The meeting page read a 32-byte key from the link, then took it
		// off the address bar.
		href := testenv.Eval[string](p, "location.href")
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(origin) + `/r/[a-z]+-[a-z]+-[1-9][0-9]$`)
		if !re.MatchString(href) {
			t.Fatalf("meeting page: got %q, want %s", href, re)
		}
		if !testenv.Eval[bool](p, "window.conclave.hasSecret()") {
			t.Error("the meeting page found no 32-byte key in the link the landing page made")
		}
	})

	t.Run("pasted link keeps its key", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(origin + "/")
		link := origin + "/r/brisk-otter-42?name=Ada#k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		testenv.Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Steps(
			chromedp.SendKeys(chromedp.CSS("#join-input"), link),
			chromedp.Click(chromedp.CSS(`#join-form button[type="submit"]`)))))
		if got, want := testenv.Eval[string](p, "location.href"), strings.Split(link, "#")[0]; got != want {
			t.Errorf("joined %q, want %q (the key read and taken off the address bar)", got, want)
		}
		if !testenv.Eval[bool](p, "window.conclave.hasSecret()") {
			t.Error("the meeting page did not get the pasted link's key")
		}
	})
}

// TestBrowserRoomLink runs js/lib/roomlink.js in the browser.
func TestBrowserRoomLink(t *testing.T) {
	srv := newTLSServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/")
	origin := srv.URL
	// call evaluates roomlink.<fn>(args...) and returns its JSON result.
	call := func(fn string, args ...string) string {
		t.Helper()
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = jsString(t, a)
		}
		return testenv.Eval[string](p, `import(new URL("./lib/roomlink.js", document.querySelector("script[type=module]").src))
			.then((m) => JSON.stringify(m.`+fn+`(`+strings.Join(quoted, ",")+`)))`)
	}

	t.Run("random names", func(t *testing.T) {
		names := testenv.Eval[[]string](p, `import(new URL("./lib/roomlink.js", document.querySelector("script[type=module]").src))
			.then((m) => Array.from({length: 300}, () => m.randomRoomName()))`)
		seen := map[string]bool{}
		re := regexp.MustCompile(`^[a-z]+-[a-z]+-[1-9][0-9]$`)
		for _, n := range names {
			if !re.MatchString(n) || len(n) > 64 {
				t.Errorf("random name %q does not look like brisk-otter-42", n)
			}
			seen[n] = true
		}
		if len(seen) < 290 {
			t.Errorf("300 random names: got %d distinct, want at least 290", len(seen))
		}
	})

	t.Run("random secret", func(t *testing.T) {
		a, b := call("randomSecret"), call("randomSecret")
		var s string
		if err := json.Unmarshal([]byte(a), &s); err != nil {
			t.Fatal(err)
		}
		key, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(key) != 32 || len(s) != 43 {
			t.Errorf("secret %q: %d bytes, %v; want 43 characters of unpadded base64url for 32 bytes", s, len(key), err)
		}
		if a == b {
			t.Error("two secrets are equal")
		}
	})

	t.Run("meeting url", func(t *testing.T) {
		got := call("meetingURL", "https://meet.example.org", "brisk-otter-42", "c2VjcmV0")
		if want := `"https://meet.example.org/r/brisk-otter-42#k=c2VjcmV0"`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})

	t.Run("valid room names", func(t *testing.T) {
		tests := []struct {
			in   string
			want bool
		}{
			{"brisk-otter-42", true},
			{"  Team Sync  ", true},
			{"team   sync", true},
			{"UPPER_case", true},
			{"a", true},
			{strings.Repeat("a", 64), true},
			{strings.Repeat("a", 65), false},
			{"", false},
			{"   ", false},
			{"room/x", false},
			{"a.b", false},
			{"émigré", false},
			{"bad room!", false},
		}
		for _, tt := range tests {
			if got := call("validRoomName", tt.in); got != map[bool]string{true: "true", false: "false"}[tt.want] {
				t.Errorf("validRoomName(%q): got %s, want %v", tt.in, got, tt.want)
			}
		}
	})

	t.Run("join input", func(t *testing.T) {
		tests := []struct{ in, wantURL, wantError string }{
			{"brisk-otter-42", origin + "/r/brisk-otter-42", ""},
			{" Team Sync ", origin + "/r/team-sync", ""},
			{origin + "/r/brisk-otter-42#k=abc", origin + "/r/brisk-otter-42#k=abc", ""},
			{origin + "/r/brisk-otter-42/?name=Ada&autojoin=1#k=abc", origin + "/r/brisk-otter-42?name=Ada&autojoin=1#k=abc", ""},
			{"/r/abc#k=1", origin + "/r/abc#k=1", ""},
			{"", "", "joinEmpty"},
			{"bad room!", "", "joinBadRoom"},
			{"javascript:alert(1)", "", "joinBadRoom"},
			{"https://evil.example/r/x#k=1", "", "joinOtherServer"},
			{origin + "/admin/", "", "joinNotMeetingLink"},
			{origin + "/r/a/b", "", "joinNotMeetingLink"},
			{origin + "/r/bad%20name", "", "joinBadRoom"},
			{origin + "/r/%E0%A4%A", "", "joinBadRoom"},
		}
		for _, tt := range tests {
			var got struct{ URL, Error string }
			if err := json.Unmarshal([]byte(call("parseJoinInput", tt.in, origin)), &got); err != nil {
				t.Fatal(err)
			}
			if got.URL != tt.wantURL || !strings.Contains(got.Error, tt.wantError) || (tt.wantError == "") != (got.Error == "") {
				t.Errorf("parseJoinInput(%q): got url %q error %q, want url %q error with %q",
					tt.in, got.URL, got.Error, tt.wantURL, tt.wantError)
			}
		}
	})
	checkClean(t, p)
}
