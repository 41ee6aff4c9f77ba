package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"conclave/internal/testenv"
)

// These tests drive the moderation, lobby, password and school-mode UI
// against fakeSignal: the test plays the server, so each click is checked
// against the exact protocol message it must send (docs/protocol.md).
// The same features through the real SFU are in
// appliance/client_*_browser_test.go.

// moderatorWelcome welcomes the page as a moderator of a room with Bob
// (microphone on) and Cy (microphone off).
func moderatorWelcome(c *fakeConn, room map[string]any) {
	bob := participant("p_bob", "Bob", micOn)
	bob["role"] = "participant"
	cy := participant("p_cy", "Cy", micOff)
	cy["role"] = "participant"
	c.send(map[string]any{"type": "welcome", "v": 1, "participantId": "p_ada", "index": 1, "resumeToken": "tok",
		"resumed": false, "iceServers": []any{}, "participants": []any{bob, cy},
		"limits": map[string]any{"maxParticipants": 100, "maxTracks": 4, "maxMessageBytes": 65536},
		"room":   room, "self": map[string]any{"id": "p_ada", "name": "Ada", "index": 1, "role": "moderator",
			"canUnmute": true, "canShare": true, "tracks": []any{}}})
}

// expect reads until a message of the type arrives and checks its fields.
func expect(t *testing.T, c *fakeConn, typ string, fields map[string]any) {
	t.Helper()
	m, _ := c.readType(typ)
	for k, v := range fields {
		if m[k] != v {
			t.Errorf("%s: %s = %v, want %v (message %v)", typ, k, m[k], v, m)
		}
	}
}

// click clicks the first element matching the CSS selector.
func click(p *testenv.Page, sel string) {
	p.WaitFor(`(() => { const e = document.querySelector(` + "`" + sel + "`" + `); return !!e && e.offsetParent !== null; })()`)
	p.Do(chromedp.Click(chromedp.CSS(sel)))
}

// personAction opens the participants panel's menu for id and picks action.
func personAction(p *testenv.Page, id, action string) {
	click(p, `#people-list button.person-more[data-id="`+id+`"]`)
	click(p, `#person-menu button[data-action="`+action+`"]`)
}

func TestBrowserModeration(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Do(chromedp.EmulateViewport(1280, 800))
	p.Navigate(srv.URL + "/r/class-7b?name=Ada&autojoin=1&lang=en#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	moderatorWelcome(c, map[string]any{"locked": false, "schoolMode": false})
	p.WaitFor(`window.conclave.room()?.moderator === true && document.querySelectorAll("#grid .tile").length === 3`)

	t.Run("knock and admit", func(t *testing.T) {
		c.send(map[string]any{"type": "knock", "participant": map[string]any{"id": "p_eve", "name": "Eve"}})
		p.WaitFor(`!document.getElementById("knocks").hidden`)
		p.Screenshot(screenshotPath(t, "moderation-knock-1280.png"))
		click(p, `#knocks button[data-knock="admit"][data-id="p_eve"]`)
		expect(t, c, "admit", map[string]any{"participantId": "p_eve"})
		c.send(map[string]any{"type": "knock-ended", "participantId": "p_eve"})
		p.WaitFor(`document.getElementById("knocks").hidden`)
	})

	t.Run("per-person menu", func(t *testing.T) {
		click(p, "#people-button")
		p.WaitFor(`document.querySelectorAll("#people-list .person").length === 3`)
		click(p, `#people-list button.person-more[data-id="p_bob"]`)
		p.WaitFor(`document.getElementById("person-menu").matches(":popover-open")`)
		p.Screenshot(screenshotPath(t, "moderation-menu-1280.png"))
		// Keyboard: the first item has the focus, arrows move it, Escape
		// closes the menu only and gives the focus back to its button.
		focused := `document.activeElement.dataset.action ?? document.activeElement.className`
		if got := testenv.Eval[string](p, focused); got != "mute" {
			t.Errorf("menu opened: focus on %q, want the first item", got)
		}
		p.Do(chromedp.KeyEvent(kb.ArrowDown))
		if got := testenv.Eval[string](p, focused); got != "promote" {
			t.Errorf("after ArrowDown: focus on %q, want promote", got)
		}
		p.Do(chromedp.KeyEvent(kb.Escape))
		p.WaitFor(`!document.getElementById("person-menu").matches(":popover-open")`)
		if !testenv.Eval[bool](p, `!document.getElementById("people-panel").hidden && document.activeElement.matches('button.person-more[data-id="p_bob"]')`) {
			t.Errorf("after Escape: panel hidden or focus on %q", testenv.Eval[string](p, `document.activeElement.outerHTML.slice(0, 80)`))
		}
		click(p, `#people-list button.person-more[data-id="p_bob"]`)
		click(p, `#person-menu button[data-action="mute"]`)
		expect(t, c, "moderate", map[string]any{"action": "mute", "participantId": "p_bob"})
		personAction(p, "p_bob", "promote")
		expect(t, c, "moderate", map[string]any{"action": "promote", "participantId": "p_bob"})
		personAction(p, "p_cy", "remove")
		p.WaitFor(`document.getElementById("confirm-dialog").open`)
		click(p, "#confirm-ok")
		expect(t, c, "moderate", map[string]any{"action": "remove", "participantId": "p_cy"})
	})

	t.Run("mute all, lock and school mode", func(t *testing.T) {
		click(p, "#mute-all")
		expect(t, c, "moderate", map[string]any{"action": "mute", "participantId": "p_bob"})
		expect(t, c, "moderate", map[string]any{"action": "mute", "participantId": "p_cy"})
		click(p, "#lock-room")
		expect(t, c, "lock-room", map[string]any{"locked": true})
		c.send(map[string]any{"type": "room-updated", "room": map[string]any{"locked": true, "schoolMode": false}})
		p.WaitFor(`!document.getElementById("room-locked").hidden && document.getElementById("lock-room").checked`)
		click(p, "#school-mode")
		expect(t, c, "set-school-mode", map[string]any{"on": true})
		c.send(map[string]any{"type": "room-updated", "room": map[string]any{"locked": true, "schoolMode": true}})
		bob := participant("p_bob", "Bob", micOff)
		bob["role"], bob["canUnmute"], bob["canShare"] = "participant", false, false
		c.send(map[string]any{"type": "participant-updated", "participant": bob})
		p.WaitFor(`!document.getElementById("room-school").hidden`)
		personAction(p, "p_bob", "allow-unmute")
		expect(t, c, "moderate", map[string]any{"action": "allow-unmute", "participantId": "p_bob"})
		p.Screenshot(screenshotPath(t, "moderation-panel-1280.png"))
	})

	t.Run("phone", func(t *testing.T) {
		p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		p.WaitFor(`!document.getElementById("people-panel").hidden`)
		click(p, `#people-list button.person-more[data-id="p_bob"]`)
		p.Screenshot(screenshotPath(t, "moderation-menu-390.png"))
		if out := outsideViewport(p, "#people-panel, #person-menu, #person-menu button, #controls button"); len(out) != 0 {
			t.Errorf("outside the 390x844 viewport: %q", out)
		}
		p.Do(chromedp.KeyEvent(kb.Escape))
	})

	t.Run("end for all", func(t *testing.T) {
		p.Do(chromedp.EmulateViewport(1280, 800))
		click(p, "#end-all")
		click(p, "#confirm-ok")
		expect(t, c, "end-meeting", nil)
	})
	checkClean(t, p)
}

// outsideViewport returns the ids (or classes) of visible elements that
// stick out of the viewport.
func outsideViewport(p *testenv.Page, sel string) []string {
	return testenv.Eval[[]string](p, `[...document.querySelectorAll(`+"`"+sel+"`"+`)].filter((e) => {
		if (e.offsetParent === null && getComputedStyle(e).position !== "fixed") return false;
		const r = e.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) return false;
		return r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1;
	}).map((e) => e.id || e.className)`)
}

// TestBrowserSchoolModeParticipant: a participant held by school mode
// joins muted, cannot unmute (and is told why), raises a hand, and may
// unmute once the teacher allows it.
func TestBrowserSchoolModeParticipant(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/r/class-7b?name=Pupil&autojoin=1&lang=en#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	teacher := participant("p_t", "Teacher", micOn)
	teacher["role"] = "moderator"
	c.send(map[string]any{"type": "welcome", "v": 1, "participantId": "p_pu", "index": 2, "resumeToken": "tok",
		"resumed": false, "iceServers": []any{}, "participants": []any{teacher},
		"limits": map[string]any{"maxParticipants": 100, "maxTracks": 4, "maxMessageBytes": 65536},
		"room":   map[string]any{"locked": false, "schoolMode": true},
		"self": map[string]any{"id": "p_pu", "name": "Pupil", "index": 2, "role": "participant",
			"canUnmute": false, "canShare": false, "tracks": []any{}}})
	pub, _ := c.readType("publish")
	if pub["source"] == "microphone" && pub["muted"] != true {
		t.Errorf("held by school mode, the microphone is published unmuted: %v", pub)
	}
	p.WaitFor(`window.conclave.room()?.mayUnmute === false`)
	if !testenv.Eval[bool](p, `document.getElementById("mic-button").getAttribute("aria-pressed") === "false"`) {
		t.Error("held participant's microphone button shows on")
	}
	click(p, "#mic-button")
	p.WaitFor(`document.getElementById("toasts").textContent.includes("raise your hand")`)
	if got := testenv.Eval[string](p, `document.getElementById("mic-button").title`); got != "Microphone locked by the teacher: raise your hand to speak" {
		t.Errorf("held microphone's title: %q", got)
	}
	p.Do(chromedp.KeyEvent("h"))
	p.WaitFor(`window.conclave.participants()[0].hand === 1 && document.getElementById("hand-button").getAttribute("aria-pressed") === "true"`)
	c.send(map[string]any{"type": "unmute-allowed"})
	p.WaitFor(`window.conclave.room().mayUnmute === true && window.conclave.participants()[0].hand === 0`)
	click(p, "#mic-button")
	expect(t, c, "mute", map[string]any{"muted": false})
	p.Screenshot(screenshotPath(t, "school-participant-1280.png"))

	// Promoted by the teacher: moderator tools, and knocks from now on.
	c.send(map[string]any{"type": "participant-updated", "participant": map[string]any{"id": "p_pu", "name": "Pupil",
		"index": 2, "role": "moderator", "canUnmute": true, "canShare": true, "tracks": []any{}}})
	p.WaitFor(`window.conclave.room().moderator === true && document.getElementById("toasts").textContent.includes("You are a moderator now.")`)
	if n := testenv.Eval[int](p, `window.conclave.participants().length`); n != 2 {
		t.Errorf("our own update made a tile of us: %d participants, want 2", n)
	}
	click(p, "#people-button")
	p.WaitFor(`!document.getElementById("mod-tools").hidden && !!document.querySelector('#people-list button.person-more[data-id="p_t"]')`)
	checkClean(t, p)
}

// TestBrowserLobbyAndPassword: a password-required refusal asks for the
// password and the next join carries it; a lobby wait shows the waiting
// screen until the welcome.
func TestBrowserLobbyAndPassword(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/r/t?name=Ada&autojoin=1&lang=en#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	c.send(map[string]any{"type": "error", "code": "password-required", "fatal": true})
	p.WaitFor(`!document.getElementById("password-field").hidden && !document.getElementById("prejoin").hidden`)
	p.Screenshot(screenshotPath(t, "prejoin-password-1280.png"))
	p.Do(chromedp.SendKeys(chromedp.CSS("#room-password"), "s3cret"))
	click(p, "#join-button")
	c = sig.nextFor(t, p)
	expect(t, c, "join", map[string]any{"password": "s3cret"})
	c.send(map[string]any{"type": "lobby"})
	p.WaitFor(`!document.getElementById("lobby").hidden && document.getElementById("prejoin").hidden`)
	p.Screenshot(screenshotPath(t, "lobby-1280.png"))
	c.welcome("p_ada", "tok", false)
	p.WaitFor(`!document.getElementById("meeting").hidden && document.getElementById("lobby").hidden`)
	checkClean(t, p)
}
