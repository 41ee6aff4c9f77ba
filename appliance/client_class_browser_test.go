package appliance_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/client"
	"conclave/internal/testenv"
)

// A class through the real appliance (issue #7): a teacher signed in to the
// admin panel (so the join policy makes them a moderator), three pupils in
// another browser, and a bot that speaks E2EE. Each feature of the meeting
// client is checked where people would see it: on the other pages.

// classSignIn runs first-run setup and signs the page in as an admin.
func classSignIn(t *testing.T, a *testenv.Appliance, p *testenv.Page) {
	t.Helper()
	p.Navigate(a.URL + "/admin/setup?token=" + url.QueryEscape(a.SetupToken()))
	p.Do(chromedp.SendKeys(chromedp.CSS("#username"), "teacher"),
		chromedp.SendKeys(chromedp.CSS("#password"), "teacher password 1"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "teacher password 1"))
	submitAndWait(p, "#confirm")
	p.Navigate(a.URL + "/admin/login")
	p.Do(chromedp.SendKeys(chromedp.CSS("#username"), "teacher"),
		chromedp.SendKeys(chromedp.CSS("#password"), "teacher password 1"))
	submitAndWait(p, "#password")
}

// classClick clicks the element sel once it is shown, with a real mouse
// click (screen sharing needs a user gesture).
func classClick(pp peerPage, sel string) {
	shown := `(() => { const e = document.querySelector(` + jsQuote(sel) + `); return !!e && (e.offsetParent !== null || getComputedStyle(e).position === "fixed"); })()`
	for deadline := time.Now().Add(30 * time.Second); !testenv.Eval[bool](pp.p, shown); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			pp.p.Screenshot(filepath.Join(os.TempDir(), "classclick-"+pp.name+".png"))
			panic(fmt.Sprintf("%s: %s not shown after 30 s", pp.name, sel))
		}
	}
	ctx, cancel := context.WithTimeout(pp.p.Context(), 20*time.Second)
	defer cancel()
	// A render may replace the node between finding and clicking it: find it again.
	err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
	for try := 0; err != nil && strings.Contains(err.Error(), "Could not find node") && try < 3; try++ {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
	}
	if err != nil {
		pp.p.Screenshot(filepath.Join(os.TempDir(), "classclick-"+pp.name+".png"))
		panic(fmt.Sprintf("%s: click %s: %v", pp.name, sel, err))
	}
}

// classTile is the selector of a participant's camera tile.
func classTile(id string) string {
	return `#grid .tile[data-participant-id="` + id + `"][data-source="camera"]`
}

// classPersonAction picks action in the teacher's menu for participant id.
func classPersonAction(teacher peerPage, id, action string) {
	teacher.p.WaitFor(`!document.getElementById("people-panel").hidden || (document.getElementById("people-button").click(), true)`)
	classClick(teacher, `#people-list button.person-more[data-id="`+id+`"]`)
	classClick(teacher, `#person-menu button[data-action="`+action+`"]`)
}

func TestBrowserClass(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	key := randomKey(t)
	link := a.URL + "/r/class-7b?name=%s&autojoin=1&lang=en#k=" + key

	teacherBrowser := meetingBrowser(t, a)
	teacher := peerPage{"Teacher", teacherBrowser.NewPage(t)}
	classSignIn(t, a, teacher.p)
	teacher.p.Do(chromedp.EmulateViewport(1280, 800))
	teacher.p.Navigate(fmt.Sprintf(link, "Teacher"))
	teacher.p.WaitFor(`window.conclave.state() === "joined" && window.conclave.room()?.moderator === true`)

	pupils := meetingBrowser(t, a)
	var class []peerPage
	for _, name := range []string{"Ada", "Ben", "Cleo"} {
		pp := peerPage{name, pupils.NewPage(t)}
		pp.p.Navigate(fmt.Sprintf(link, name))
		class = append(class, pp)
	}
	secret, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	bot := joinBot(t, a, "class-7b", "Robo", func(c *client.Config) { c.Secret = secret })
	all := append([]peerPage{teacher}, class...)
	for _, pp := range all {
		pp.p.WaitFor(`window.conclave.participants().length === 5 && window.conclave.security().state === "secure"`)
	}
	ids := map[string]string{"Robo": bot.ParticipantID()}
	for _, pp := range all {
		ids[pp.name] = pp.selfID()
		if pp.name != "Teacher" && testenv.Eval[bool](pp.p, `window.conclave.room().moderator`) {
			t.Errorf("%s (a guest) joined as a moderator", pp.name)
		}
	}
	ada, ben, cleo := class[0], class[1], class[2]
	teacher.p.Screenshot(screenshotPath(t, "class-grid-1280.png"))

	t.Run("chat", func(t *testing.T) {
		classClick(ada, "#chat-button")
		ada.p.Do(chromedp.SendKeys(chromedp.CSS("#chat-input"), "Hello class\n"))
		if err := bot.SendChat("Beep from the bot"); err != nil {
			t.Fatal(err)
		}
		for _, pp := range all {
			pp.p.WaitFor(`document.getElementById("chat-log").textContent.includes("Beep from the bot")`)
			if pp.name != "Ada" {
				pp.p.WaitFor(`document.getElementById("chat-log").textContent.includes("Hello class")`)
			}
		}
		badge := testenv.Eval[string](ben.p, `document.getElementById("chat-badge").textContent`)
		t.Logf("Ben's unread badge: %s", badge)
		if badge != "2" {
			t.Errorf("Ben's unread badge: %q, want 2", badge)
		}
		ada.p.Screenshot(screenshotPath(t, "class-chat-open-1280.png"))
		classClick(ada, "#chat-close")
	})

	t.Run("hands in order", func(t *testing.T) {
		classClick(ben, "#hand-button")
		for _, pp := range all {
			pp.p.WaitFor(`window.conclave.room().hands.length === 1`)
		}
		// Screen readers hear it (the live region).
		ada.p.WaitFor(`document.getElementById("announcer").textContent === "Ben raised their hand"`)
		cleo.p.Do(chromedp.KeyEvent("h"))
		want := fmt.Sprintf(`["%s","%s"]`, ids["Ben"], ids["Cleo"])
		for _, pp := range all {
			pp.p.WaitFor(`JSON.stringify(window.conclave.room().hands) === ` + jsQuote(want))
		}
		classClick(teacher, "#people-button")
		rows := testenv.Eval[[]string](teacher.p, `[...document.querySelectorAll("#people-list .person")].slice(0, 2).map((r) => r.dataset.participantId + " " + r.querySelector(".hand-badge")?.textContent)`)
		if len(rows) != 2 || rows[0] != ids["Ben"]+" ✋ 1" || rows[1] != ids["Cleo"]+" ✋ 2" {
			t.Errorf("teacher's list starts with %q, want Ben's hand 1 then Cleo's hand 2", rows)
		}
		if got := testenv.Eval[string](ada.p, `document.querySelector(`+jsQuote(classTile(ids["Cleo"])+" .tile-hand")+`).textContent`); got != "✋ 2" {
			t.Errorf("Ada sees Cleo's hand as %q, want ✋ 2", got)
		}
		teacher.p.Screenshot(screenshotPath(t, "class-hands-1280.png"))

		// The teacher lowers Ben's hand, then all hands.
		classPersonAction(teacher, ids["Ben"], "lower-hand")
		for _, pp := range all {
			pp.p.WaitFor(`JSON.stringify(window.conclave.room().hands) === ` + jsQuote(fmt.Sprintf(`["%s"]`, ids["Cleo"])))
		}
		ben.p.WaitFor(`document.getElementById("hand-button").getAttribute("aria-pressed") === "false"`)
		classClick(teacher, "#lower-all")
		for _, pp := range all {
			pp.p.WaitFor(`window.conclave.room().hands.length === 0`)
		}
		// Up again, for the screenshots that follow.
		classClick(ben, "#hand-button")
		cleo.p.WaitFor(`window.conclave.room().hands.length === 1`)
		cleo.p.Do(chromedp.KeyEvent("h"))
		teacher.p.WaitFor(`window.conclave.room().hands.length === 2`)
	})

	t.Run("reactions", func(t *testing.T) {
		classClick(ada, "#react-button")
		classClick(ada, `#reactions-panel .reaction[data-emoji="👏"]`)
		for _, pp := range all[1:] {
			pp.p.WaitFor(`document.querySelector(` + jsQuote(classTile(ids["Ada"])+" .tile-reactions .floating") + `)?.textContent === "👏"`)
		}
	})

	t.Run("mute reflected everywhere", func(t *testing.T) {
		classClick(cleo, "#mic-button")
		for _, pp := range all {
			if pp.name != "Cleo" {
				pp.p.WaitFor(`document.querySelector(` + jsQuote(classTile(ids["Cleo"])) + `)?.classList.contains("mic-off")`)
			}
		}
		teacher.p.WaitFor(`document.querySelector('#people-list .person[data-participant-id="` + ids["Cleo"] + `"] .person-mic')?.classList.contains("off")`)
	})

	t.Run("moderator mutes all", func(t *testing.T) {
		classClick(teacher, "#mute-all")
		for _, pp := range class {
			pp.p.WaitFor(`document.getElementById("mic-button").getAttribute("aria-pressed") === "false"`)
			teacher.p.WaitFor(`document.querySelector(` + jsQuote(classTile(ids[pp.name])) + `)?.classList.contains("mic-off")`)
		}
	})

	t.Run("school mode blocks a self-unmute", func(t *testing.T) {
		classClick(teacher, "#school-mode")
		for _, pp := range all {
			pp.p.WaitFor(`window.conclave.room().schoolMode === true`)
		}
		classClick(ada, "#mic-button")
		ada.p.WaitFor(`document.getElementById("toasts").textContent.includes("raise your hand")`)
		time.Sleep(time.Second)
		if !testenv.Eval[bool](teacher.p, `document.querySelector(`+jsQuote(classTile(ids["Ada"]))+`).classList.contains("mic-off")`) {
			t.Error("a held pupil unmuted herself")
		}
		ada.p.Screenshot(screenshotPath(t, "class-school-held-1280.png"))
		classPersonAction(teacher, ids["Ada"], "allow-unmute")
		ada.p.WaitFor(`window.conclave.room().mayUnmute === true`)
		classClick(ada, "#mic-button")
		teacher.p.WaitFor(`!document.querySelector(` + jsQuote(classTile(ids["Ada"])) + `).classList.contains("mic-off")`)
		classClick(teacher, "#school-mode")
		ben.p.WaitFor(`window.conclave.room().schoolMode === false`)
	})

	t.Run("lock, lobby admit and remove", func(t *testing.T) {
		classClick(teacher, "#lock-room")
		ben.p.WaitFor(`window.conclave.room().locked === true`)
		dan := peerPage{"Dan", pupils.NewPage(t)}
		dan.p.Navigate(fmt.Sprintf(link, "Dan"))
		dan.p.WaitFor(`!document.getElementById("lobby").hidden`)
		dan.p.Screenshot(screenshotPath(t, "class-lobby-1280.png"))
		teacher.p.WaitFor(`!document.getElementById("knocks").hidden`)
		teacher.p.Screenshot(screenshotPath(t, "class-knock-1280.png"))
		classClick(teacher, `#knocks button[data-knock="admit"]`)
		dan.p.WaitFor(`window.conclave.state() === "joined" && window.conclave.participants().length === 6`)
		ben.p.WaitFor(`document.getElementById("announcer").textContent === "Dan joined"`)
		danID := dan.selfID()
		classPersonAction(teacher, danID, "remove")
		classClick(teacher, "#confirm-ok")
		dan.p.WaitFor(`!document.getElementById("ended").hidden`)
		if text := testenv.Eval[string](dan.p, `document.getElementById("ended-text").textContent`); !strings.Contains(text, "removed") {
			t.Errorf("Dan's page after removal: %q", text)
		}
		teacher.p.WaitFor(`window.conclave.participants().length === 5`)
		checkPageClean(t, dan)
		classClick(teacher, "#lock-room")
	})

	t.Run("screen share decodes in the presenter layout", func(t *testing.T) {
		classClick(ada, "#screen-button")
		waitRising(t, teacher, map[string][]string{ids["Ada"]: {"screen"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
		teacher.p.WaitFor(`document.getElementById("grid").classList.contains("speaker-view") && document.querySelector("#grid .tile.main.screen video")?.videoWidth > 0`)
		teacher.p.Screenshot(screenshotPath(t, "class-presenter-1280.png"))
		classClick(ada, "#screen-button")
		teacher.p.WaitFor(`!document.querySelector("#grid .tile.screen")`)
	})

	t.Run("speaker view", func(t *testing.T) {
		classClick(teacher, "#more-button")
		teacher.p.Do(chromedp.SetValue(chromedp.CSS("#layout-select"), "speaker"))
		testenv.Eval[bool](teacher.p, `document.getElementById("layout-select").dispatchEvent(new Event("change"))`)
		teacher.p.WaitFor(`document.getElementById("grid").classList.contains("speaker-view")`)
		classClick(teacher, "#hide-self")
		teacher.p.WaitFor(`!document.querySelector('#grid .tile.self[data-source="camera"]')`)
		classClick(teacher, "#hide-self")
		teacher.p.WaitFor(`!!document.querySelector('#grid .tile.self[data-source="camera"]')`)
		testenv.Eval[bool](teacher.p, `(document.getElementById("more-panel").hidePopover(), true)`)
		teacher.p.Screenshot(screenshotPath(t, "class-speaker-1280.png"))
	})

	t.Run("switch microphone and speaker mid-call", func(t *testing.T) {
		classClick(ada, "#more-button")
		ada.p.WaitFor(`document.getElementById("mic-switch").options.length > 0`)
		mics := testenv.Eval[[]string](ada.p, `[...document.getElementById("mic-switch").options].map((o) => o.value)`)
		outputs := testenv.Eval[int](ada.p, `document.getElementById("speaker-switch").options.length - 1`)
		t.Logf("Ada's microphones: %d; speakers besides the default: %d", len(mics), outputs)
		if len(mics) < 2 {
			t.Fatalf("Chromium's fake devices offer %d microphones; the switch needs two", len(mics))
		}
		before := testenv.Eval[string](ada.p, `document.getElementById("mic-switch").value`)
		other := mics[0]
		if other == before {
			other = mics[1]
		}
		testenv.Eval[bool](ada.p, `(() => { const s = document.getElementById("mic-switch"); s.value = `+jsQuote(other)+`; return s.dispatchEvent(new Event("change")); })()`)
		testenv.Eval[bool](ada.p, `(document.getElementById("more-panel").hidePopover(), true)`)
		waitRising(t, teacher, map[string][]string{ids["Ada"]: {"microphone"}}, func(s inbound) float64 { return float64(s.PacketsReceived) })
		// The panel lists the devices again when it opens (asynchronously),
		// showing the one in use: the new one once the switch is done.
		classClick(ada, "#more-button")
		ada.p.WaitFor(`document.getElementById("mic-switch").value === ` + jsQuote(other))
		// Audio output, where the browser can choose it (setSinkId).
		if outputs > 0 {
			sink := testenv.Eval[string](ada.p, `(() => { const s = document.getElementById("speaker-switch"); s.value = s.options[1].value;
				s.dispatchEvent(new Event("change")); return s.value; })()`)
			ada.p.WaitFor(`[...document.querySelectorAll("#audio-sinks audio")].every((a) => a.sinkId === ` + jsQuote(sink) + `)`)
		}
		testenv.Eval[bool](ada.p, `(document.getElementById("more-panel").hidePopover(), true)`)
	})

	t.Run("connection check", func(t *testing.T) {
		classClick(teacher, "#more-button")
		classClick(teacher, "#netcheck-button")
		teacher.p.WaitFor(`document.getElementById("netcheck-summary").dataset.verdict !== undefined`)
		rows := testenv.Eval[[]string](teacher.p, `[...document.querySelectorAll("#netcheck-list li")].map((li) => li.textContent)`)
		verdict := testenv.Eval[string](teacher.p, `document.getElementById("netcheck-summary").textContent`)
		t.Logf("connection check: %q; %s", rows, verdict)
		if len(rows) != 4 || verdict != "Your network is fine for meetings." {
			t.Errorf("on loopback every way works: got %q, %q", rows, verdict)
		}
		for _, r := range rows {
			if !strings.HasSuffix(r, ": works") {
				t.Errorf("connection check row %q", r)
			}
		}
		teacher.p.Screenshot(screenshotPath(t, "class-netcheck-1280.png"))
		testenv.Eval[bool](teacher.p, `(document.getElementById("netcheck-dialog").close(), true)`)
	})

	t.Run("reconnect after the socket is cut", func(t *testing.T) {
		before := ben.selfID()
		testenv.Eval[bool](ben.p, `(window.conclave.dropSocket(), true)`)
		ben.p.WaitFor(`window.conclave.state() === "reconnecting" || window.conclave.state() === "joined"`)
		ben.p.WaitFor(`window.conclave.state() === "joined"`)
		if after := ben.selfID(); after != before {
			t.Errorf("Ben came back as %s, want the same participant %s", after, before)
		}
		waitRising(t, ben, map[string][]string{ids["Teacher"]: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
	})

	t.Run("phone", func(t *testing.T) {
		cleo.p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		cleo.p.WaitFor(`document.querySelectorAll("#grid .tile:not([hidden])").length > 0`)
		time.Sleep(300 * time.Millisecond)
		cleo.p.Screenshot(screenshotPath(t, "class-grid-390.png"))
		classClick(cleo, "#chat-button")
		cleo.p.Screenshot(screenshotPath(t, "class-chat-open-390.png"))
		classClick(cleo, "#people-button")
		cleo.p.Screenshot(screenshotPath(t, "class-people-390.png"))
		out := testenv.Eval[[]string](cleo.p, `[...document.querySelectorAll("#controls button, #people-panel, #grid .tile:not([hidden])")].filter((e) => {
			const r = e.getBoundingClientRect();
			if (r.width === 0) return false;
			return r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1;
		}).map((e) => e.id || e.dataset.key)`)
		if len(out) != 0 {
			t.Errorf("outside the 390x844 viewport: %q", out)
		}
		teacher.p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		classPersonAction(teacher, ids["Ada"], "mute")
		ada.p.WaitFor(`document.getElementById("mic-button").getAttribute("aria-pressed") === "false"`)
		// Ben is muted: the menu asks him to unmute, in an E2EE message to him alone.
		classPersonAction(teacher, ids["Ben"], "ask-unmute")
		ben.p.WaitFor(`document.getElementById("toasts").textContent.includes("asks you to turn on your microphone")`)
		classClick(teacher, `#people-list button.person-more[data-id="`+ids["Cleo"]+`"]`)
		teacher.p.Screenshot(screenshotPath(t, "class-moderation-menu-390.png"))
	})

	for _, pp := range all {
		checkPageClean(t, pp)
	}
}

// TestBrowserPrejoinScreens takes the pre-join screen at both sizes and
// checks that the microphone's level meter moves.
func TestBrowserPrejoinScreens(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	p := peerPage{"prejoin", meetingBrowser(t, a).NewPage(t)}
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
		if size.w < 600 {
			p.p.Do(chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		} else {
			p.p.Do(chromedp.EmulateViewport(size.w, size.h))
		}
		p.p.Navigate(a.URL + "/r/class-7b?lang=en#k=" + randomKey(t))
		p.p.WaitFor(`document.getElementById("preview-video").videoWidth > 0`)
		// The level meter moves with the fake microphone's beeps (after a
		// click: browsers start audio only after a gesture).
		classClick(p, "#prejoin-title")
		p.p.WaitFor(`parseFloat(document.getElementById("preview-level").style.width) > 20`)
		p.p.Screenshot(screenshotPath(t, fmt.Sprintf("class-prejoin-%d.png", size.w)))
		out := testenv.Eval[[]string](p.p, `[...document.querySelectorAll("#prejoin button, #prejoin input, #prejoin select")].filter((e) => {
			const r = e.getBoundingClientRect();
			return r.width > 0 && (r.left < -1 || r.right > innerWidth + 1);
		}).map((e) => e.id)`)
		if len(out) != 0 {
			t.Errorf("%dpx: sticking out sideways: %q", size.w, out)
		}
	}
	checkPageClean(t, p)
}
