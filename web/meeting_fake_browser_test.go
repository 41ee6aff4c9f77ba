package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// These tests run the meeting page against fakeSignal, a scripted
// signaling server without media: they check the protocol as the client
// speaks it and the meeting UI, which need no SFU. Media through the real
// SFU is tested in appliance/meeting_browser_test.go.

// tileNames returns the name tags of the grid, in order.
func tileNames(p *testenv.Page) []string {
	return testenv.Eval[[]string](p, `[...document.querySelectorAll("#grid .tile .name")].map((e) => e.textContent)`)
}

func TestBrowserMeetingProtocol(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})

	p := b.NewPage(t)
	p.Do(emulateMedia("prefers-reduced-motion", "reduce"))
	p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
	c := sig.nextFor(t, p)
	join := c.read()
	if join["type"] != "join" || join["v"] != 1.0 || join["room"] != "brisk-otter-42" || join["name"] != "Ada" {
		t.Fatalf("first message: got %v, want a v1 join of brisk-otter-42 as Ada", join)
	}
	if _, ok := join["resume"]; ok {
		t.Errorf("first join carries a resume token: %v", join)
	}
	c.welcome("p_ada", "tok-1", false,
		participant("p_bob", "Bob", micOff, cameraT),
		participant("p_cy", "Cy", micOn))

	// Both tracks are announced before the offer that adds them.
	offer, before := c.readType("offer")
	// E2EE key messages (relay) may go out meanwhile; they are not media.
	before = slices.DeleteFunc(before, func(typ string) bool { return typ == "relay" })
	if !slices.Equal(before, []string{"publish", "publish"}) {
		t.Errorf("before the offer: got %v, want two publish messages", before)
	}
	sdp, _ := offer["sdp"].(string)
	if strings.Count(sdp, "m=audio") != 1 || strings.Count(sdp, "m=video") != 1 || !strings.Contains(sdp, "a=sendonly") {
		t.Errorf("offer: want one sendonly audio and one sendonly video section, got:\n%s", sdp)
	}

	p.WaitFor(`document.querySelectorAll("#grid .tile").length === 3`)
	if got, want := tileNames(p), []string{"Ada (you)", "Bob", "Cy"}; !slices.Equal(got, want) {
		t.Errorf("tiles: got %q, want %q", got, want)
	}
	if got := testenv.Eval[string](p, `document.getElementById("meeting-count").textContent`); got != "3 participants" {
		t.Errorf("count: got %q", got)
	}
	micOffTiles := testenv.Eval[[]string](p, `[...document.querySelectorAll("#grid .tile.mic-off")].map((e) => e.dataset.participantId)`)
	if !slices.Equal(micOffTiles, []string{"p_bob"}) {
		t.Errorf("tiles with the mic-off mark: got %q, want only Bob's", micOffTiles)
	}
	p.WaitFor(`document.querySelector("#grid .tile.self video").videoWidth > 0`)
	hook := testenv.Eval[[]struct {
		ID, Name string
		Self     bool
	}](p, "window.conclave.participants()")
	if len(hook) != 3 || hook[0].ID != "p_ada" || !hook[0].Self || hook[1].Name != "Bob" {
		t.Errorf("window.conclave.participants(): got %+v", hook)
	}
	p.Screenshot(screenshotPath(t, "meeting-fake-3.png"))

	t.Run("room events", func(t *testing.T) {
		c := c.with(t)
		c.send(map[string]any{"type": "participant-joined", "participant": participant("p_dee", "Dee", micOn)})
		c.send(map[string]any{"type": "participant-left", "participantId": "p_cy", "reason": "left"})
		c.send(map[string]any{"type": "mute", "participantId": "p_bob", "trackId": "p_bob-microphone", "muted": false})
		p.WaitFor(`document.querySelectorAll("#grid .tile").length === 3 && !document.querySelector('[data-participant-id="p_bob"]').classList.contains("mic-off")`)
		if got, want := tileNames(p), []string{"Ada (you)", "Bob", "Dee"}; !slices.Equal(got, want) {
			t.Errorf("tiles: got %q, want %q", got, want)
		}
	})

	t.Run("mute and camera", func(t *testing.T) {
		c := c.with(t)
		p.Do(chromedp.Click(chromedp.CSS("#mic-button")))
		m, _ := c.readType("mute")
		if m["muted"] != true || m["trackId"] == "" {
			t.Errorf("after clicking the mic button: got %v, want a mute of our audio track", m)
		}
		p.Do(chromedp.Click(chromedp.CSS("#cam-button")))
		m, _ = c.readType("mute")
		if m["muted"] != true {
			t.Errorf("after turning the camera off: got %v, want muted", m)
		}
		p.WaitFor(`document.querySelector("#grid .tile.self").classList.contains("no-video")`)
		p.WaitFor(`document.querySelector("#grid .tile.self").classList.contains("mic-off")`)
		p.Screenshot(screenshotPath(t, "meeting-fake-muted.png"))
		p.Do(chromedp.Click(chromedp.CSS("#cam-button")))
		if m, _ = c.readType("mute"); m["muted"] != false {
			t.Errorf("after turning the camera on: got %v, want unmuted", m)
		}
		p.WaitFor(`document.querySelector("#grid .tile.self video").videoWidth > 0`)
	})

	t.Run("screen share", func(t *testing.T) {
		c := c.with(t)
		p.Do(chromedp.Click(chromedp.CSS("#screen-button")))
		pub, _ := c.readType("publish")
		if pub["source"] != "screen" || pub["kind"] != "video" {
			t.Errorf("after clicking share: got %v, want a screen publish", pub)
		}
		// No offer follows: this server never answered the first one, and a
		// polite client offers again only once stable.
		p.WaitFor(`document.querySelector('#grid .tile.screen.self video')?.videoWidth > 0`)
		if got := testenv.Eval[string](p, `document.getElementById("screen-button").getAttribute("aria-pressed")`); got != "true" {
			t.Errorf("share button: aria-pressed %q, want true", got)
		}
		p.Screenshot(screenshotPath(t, "meeting-fake-screen.png"))
		p.Do(chromedp.Click(chromedp.CSS("#screen-button")))
		if m, _ := c.readType("unpublish"); m["trackId"] != pub["trackId"] {
			t.Errorf("after stopping the share: got %v, want unpublish of %v", m, pub["trackId"])
		}
		p.WaitFor(`!document.querySelector('#grid .tile.screen')`)
	})

	t.Run("resume after a lost socket", func(t *testing.T) {
		c.with(t).drop()
		p.WaitFor(`!document.getElementById("banner").hidden`)
		if got := testenv.Eval[string](p, `document.getElementById("banner").textContent`); got != "Connection lost, reconnecting…" {
			t.Errorf("banner: got %q", got)
		}
		c2 := sig.nextFor(t, p)
		j := c2.read()
		if j["type"] != "join" || j["resume"] != "tok-1" {
			t.Fatalf("rejoin: got %v, want a join with resume token tok-1", j)
		}
		p.Screenshot(screenshotPath(t, "meeting-fake-reconnecting.png"))
		c2.welcome("p_ada", "tok-2", true, participant("p_bob", "Bob", micOn, cameraT))
		// A new peer connection publishes again, muted as we left it.
		pub, _ := c2.readType("publish")
		if pub["kind"] != "audio" || pub["muted"] != true {
			t.Errorf("republished audio: got %v, want muted audio", pub)
		}
		c2.readType("offer")
		p.WaitFor(`document.getElementById("banner").hidden && document.querySelectorAll("#grid .tile").length === 2`)
		c = c2
	})

	t.Run("leave", func(t *testing.T) {
		c := c.with(t)
		p.Do(chromedp.Click(chromedp.CSS("#leave-button")))
		c.readType("leave")
		p.WaitFor(`!document.getElementById("ended").hidden`)
		if got := testenv.Eval[string](p, `document.getElementById("ended-title").textContent`); got != "You left the meeting" {
			t.Errorf("end screen: got %q", got)
		}
		if testenv.Eval[bool](p, `window.conclave.state() !== "ended"`) {
			t.Error("state is not ended after leaving")
		}
	})
	checkClean(t, p)
}

func TestBrowserMeetingRefused(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})

	t.Run("pre-join shows the reason and allows another try", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(srv.URL + "/r/t?name=Ada#k=" + key)
		waitPreview(t, p)
		p.Do(chromedp.Click(chromedp.CSS("#join-button")))
		c := sig.nextFor(t, p)
		c.readType("join")
		c.send(map[string]any{"type": "error", "code": "room-full", "message": "the room is full (100 participants)", "fatal": true})
		p.WaitFor(`document.getElementById("prejoin-error").textContent !== ""`)
		if got := testenv.Eval[string](p, `document.getElementById("prejoin-error").textContent`); got != "This meeting is full. Try again later." {
			t.Errorf("error: got %q", got)
		}
		if testenv.Eval[bool](p, `document.getElementById("join-button").disabled || document.getElementById("prejoin").hidden`) {
			t.Error("after a refused join the pre-join screen is not usable")
		}
		p.Screenshot(screenshotPath(t, "prejoin-room-full.png"))

		// The second try joins, and the camera preview survived the refusal.
		p.Do(chromedp.Click(chromedp.CSS("#join-button")))
		c = sig.nextFor(t, p)
		c.readType("join")
		c.welcome("p_ada", "tok", false)
		p.WaitFor(`!document.getElementById("meeting").hidden && document.querySelector("#grid .tile.self video").videoWidth > 0`)
		checkClean(t, p)
	})

	t.Run("autojoin shows the reason", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(srv.URL + "/r/t?autojoin=1#k=" + key)
		c := sig.nextFor(t, p)
		if j := c.read(); j["name"] != "Guest" {
			t.Errorf("autojoin without a name: got name %v, want Guest", j["name"])
		}
		c.send(map[string]any{"type": "error", "code": "bad-room", "fatal": true})
		p.WaitFor(`!document.getElementById("ended").hidden`)
		if got := testenv.Eval[string](p, `document.getElementById("ended-text").textContent`); got != "This is not a valid meeting link." {
			t.Errorf("end screen text: got %q", got)
		}
		checkClean(t, p)
	})
}

// TestBrowserMeetingPhone lays out a four-person meeting on a phone: the
// tiles stack, nothing overflows, and the control bar stays on screen.
func TestBrowserMeetingPhone(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	c.welcome("p_ada", "tok", false, participant("p_bob", "Bob", micOn), participant("p_cy", "Cy", micOff),
		participant("p_dee", "Dee Longname-Withaveryverylongsurname", micOn))
	p.WaitFor(`document.querySelectorAll("#grid .tile").length === 4 && document.querySelector("#grid .tile.self video").videoWidth > 0`)
	overflow := testenv.Eval[[]string](p, `[...document.querySelectorAll("#grid .tile, #controls button")].filter((e) => {
		const r = e.getBoundingClientRect();
		return r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight;
	}).map((e) => e.dataset.key || e.id)`)
	if len(overflow) != 0 {
		t.Errorf("outside the 390x844 viewport: %q", overflow)
	}
	cols := testenv.Eval[string](p, `getComputedStyle(document.getElementById("grid")).getPropertyValue("--cols")`)
	if cols != "1" && cols != "2" {
		t.Errorf("grid columns on a phone: got %q, want 1 or 2", cols)
	}
	p.Screenshot(screenshotPath(t, "meeting-fake-phone.png"))
	checkClean(t, p)
}

// TestBrowserCameraBlocked joins with the camera permission denied: the
// pre-join screen says so plainly, a kiosk join goes ahead with the
// microphone only and says so in a notice, and nothing is logged as an
// error.
func TestBrowserCameraBlocked(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	// The fake-UI flag grants every permission, and Browser.setPermission
	// does not override it, so the page's getUserMedia refuses the camera
	// the way a browser does when a person blocked it.
	deny := func(p *testenv.Page) {
		p.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `{
					const md = navigator.mediaDevices, real = md.getUserMedia.bind(md);
					md.getUserMedia = (c) => c && c.video ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : real(c);
				}`})
			return err
		}))
	}

	t.Run("pre-join", func(t *testing.T) {
		p := b.NewPage(t)
		deny(p)
		p.Navigate(srv.URL + "/r/t?name=Ada#k=" + key)
		p.WaitFor(`!document.getElementById("media-notice").hidden`)
		if got := testenv.Eval[string](p, `document.getElementById("media-notice").textContent`); !strings.HasPrefix(got, "Camera blocked.") {
			t.Errorf("notice: got %q, want it to start with Camera blocked.", got)
		}
		if !testenv.Eval[bool](p, `!document.getElementById("preview-off").hidden && !document.getElementById("preview-mic").disabled`) {
			t.Error("want the camera shown as off and the microphone still usable")
		}
		p.Screenshot(screenshotPath(t, "prejoin-camera-blocked.png"))
		checkClean(t, p)
	})

	t.Run("autojoin", func(t *testing.T) {
		p := b.NewPage(t)
		deny(p)
		p.Navigate(srv.URL + "/r/t?name=Ada&autojoin=1#k=" + key)
		c := sig.nextFor(t, p)
		c.readType("join")
		c.welcome("p_ada", "tok", false)
		_, before := c.readType("offer")
		// E2EE key messages (relay) may go out meanwhile; they are not media.
		if before = slices.DeleteFunc(before, func(typ string) bool { return typ == "relay" }); len(before) != 1 {
			t.Errorf("before the offer: got %v, want one publish (the microphone)", before)
		}
		p.WaitFor(`document.getElementById("toasts").textContent.includes("Camera blocked")`)
		p.WaitFor(`document.querySelector("#grid .tile.self").classList.contains("no-video")`)
		checkClean(t, p)
	})
}
