package appliance_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// e2eeStats is the part of window.conclave.e2ee() (the E2EE worker's
// counters) the tests read.
type e2eeStats struct {
	Send struct{ Frames, OverheadBytes, Bytes int }
	Recv map[string]struct{ Frames, Failures, UnknownKid, Dropped int }
	CPU  struct{ SendMs, RecvMs, UptimeMs float64 }
	// Sending is the key we encrypt with: its generation and ratchet step.
	Sending struct{ Gen, Step int }
}

func (pp peerPage) e2ee() e2eeStats {
	return testenv.Eval[e2eeStats](pp.p, "window.conclave.e2ee()")
}

// securityState is window.conclave.security(): the lock and the safety code.
type securityState struct {
	State, Emoji, Digits string
	Mismatched           []string
}

func (pp peerPage) security() securityState {
	return testenv.Eval[securityState](pp.p, "window.conclave.security()")
}

// TestBrowserMeetingE2EE: three Chromium tabs share one meeting link, a
// fourth joins the same room with a different key. The three decode each
// other's video and audio through the real SFU, read each other's chat and
// show the same safety code; the fourth receives video bytes but decodes
// nothing, nobody decodes its video, and everyone sees it as "joined with a
// different meeting link". A control that stops decrypting must stop the
// decoding, or the decode checks above would prove nothing.
func TestBrowserMeetingE2EE(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	room := a.URL + "/r/secret-class?name=%s&autojoin=1#k="
	good, wrong := randomKey(t), randomKey(t)

	var pages []peerPage
	for _, name := range []string{"A", "B", "C", "D"} {
		key := good
		if name == "D" {
			key = wrong
		}
		p := b.NewPage(t)
		p.Navigate(fmt.Sprintf(room, name) + key)
		pages = append(pages, peerPage{name: name, p: p})
	}
	for _, pp := range pages {
		pp.p.WaitFor(`window.conclave.participants().length === 4`)
		if pp.p.Context().Err() == nil && testenv.Eval[bool](pp.p, `location.hash !== ""`) {
			t.Errorf("%s: the key is still in the address bar", pp.name)
		}
	}
	ids := map[string]string{}
	for _, pp := range pages {
		ids[pp.name] = pp.selfID()
	}
	friends, outsider := pages[:3], pages[3]

	t.Run("same link decodes", func(t *testing.T) {
		for _, pp := range friends {
			want := map[string][]string{}
			for _, other := range friends {
				if other.name != pp.name {
					want[ids[other.name]] = []string{"camera", "microphone"}
				}
			}
			waitRising(t, pp, want, func(s inbound) float64 {
				if s.Kind == "video" {
					return float64(s.FramesDecoded)
				}
				return s.TotalAudioEnergy
			})
			st := pp.e2ee()
			failures, frames := 0, 0
			for _, r := range st.Recv {
				failures += r.Failures
				frames += r.Frames
			}
			t.Logf("%s: encrypted %d frames (%d bytes of SFrame overhead, %.1f per frame), decrypted %d, authentication failures %d",
				pp.name, st.Send.Frames, st.Send.OverheadBytes, float64(st.Send.OverheadBytes)/float64(max(1, st.Send.Frames)), frames, failures)
			if st.Send.Frames == 0 || frames == 0 {
				t.Errorf("%s: the E2EE worker encrypted %d and decrypted %d frames; want both > 0", pp.name, st.Send.Frames, frames)
			}
			if failures != 0 {
				t.Errorf("%s: %d frames failed authentication", pp.name, failures)
			}
		}
	})

	t.Run("a different key decodes nothing", func(t *testing.T) {
		// The outsider gets A's packets but no key; A gets its packets and no key.
		for _, c := range []struct {
			at   peerPage
			from string
		}{{outsider, "A"}, {friends[0], "D"}} {
			before := framesFrom(t, c.at, ids[c.from])
			time.Sleep(2 * time.Second)
			after := framesFrom(t, c.at, ids[c.from])
			if after.PacketsReceived <= before.PacketsReceived {
				t.Errorf("%s: no video packets from %s (%d then %d): the check below would prove nothing", c.at.name, c.from, before.PacketsReceived, after.PacketsReceived)
			}
			if after.FramesDecoded != 0 {
				t.Errorf("%s decoded %d frames of %s's video, which it has no key for", c.at.name, after.FramesDecoded, c.from)
			}
			t.Logf("%s receives %s's video: %d packets, %d frames decoded", c.at.name, c.from, after.PacketsReceived, after.FramesDecoded)
		}
		for _, pp := range friends {
			waitShowing(t, pp, `document.querySelector('#grid .tile[data-participant-id="`+ids["D"]+`"]')?.classList.contains("mismatch")`)
			if s := pp.security(); s.State != "warning" || len(s.Mismatched) != 1 || s.Mismatched[0] != "D" {
				t.Errorf("%s: security state %+v, want a warning naming D", pp.name, s)
			}
		}
		waitShowing(t, outsider, `document.querySelectorAll("#grid .tile.mismatch").length === 3`)
		pages[0].p.Screenshot(screenshotPath(t, "e2ee-different-link.png"))
	})

	t.Run("safety code", func(t *testing.T) {
		want := friends[0].security()
		if len([]rune(want.Emoji)) < 6 || len(want.Digits) != 14 {
			t.Fatalf("A's safety code %+v is not 6 emoji and 3x4 digits", want)
		}
		for _, pp := range friends[1:] {
			if got := pp.security(); got.Emoji != want.Emoji || got.Digits != want.Digits {
				t.Errorf("%s shows safety code %s / %s, A shows %s / %s", pp.name, got.Emoji, got.Digits, want.Emoji, want.Digits)
			}
		}
		if got := outsider.security(); got.Digits == want.Digits {
			t.Errorf("the outsider shows the friends' safety code %s", got.Digits)
		}
		friends[0].p.Do(chromedp.Click(chromedp.CSS("#security-button")))
		friends[0].p.WaitFor(`document.getElementById("security-panel").matches(":popover-open")`)
		friends[0].p.Screenshot(screenshotPath(t, "e2ee-safety-code.png"))
		friends[0].p.Do(chromedp.Click(chromedp.CSS("#security-button")))
	})

	t.Run("chat", func(t *testing.T) {
		const text = "Grüße from A, sealed end to end 🔒"
		sender := friends[0]
		sender.p.Do(chromedp.Click(chromedp.CSS("#chat-button")),
			chromedp.SetValue(chromedp.CSS("#chat-input"), text),
			chromedp.Click(chromedp.CSS(`#chat-form button[type="submit"]`)))
		seen := `[...document.querySelectorAll("#chat-log .chat-text")].some((e) => e.textContent === ` + jsQuote(text) + `)`
		sender.p.WaitFor(seen)
		for _, pp := range friends[1:] {
			pp.p.WaitFor(seen)
			if badge := testenv.Eval[string](pp.p, `document.getElementById("chat-badge").textContent`); badge != "1" {
				t.Errorf("%s: unread badge %q, want 1", pp.name, badge)
			}
		}
		time.Sleep(time.Second)
		if n := testenv.Eval[int](outsider.p, `document.querySelectorAll("#chat-log li").length`); n != 0 {
			t.Errorf("the outsider shows %d chat messages; it cannot open any", n)
		}
		sender.p.Screenshot(screenshotPath(t, "e2ee-chat.png"))
	})

	t.Run("control: no decryption, no picture", func(t *testing.T) {
		viewer := friends[1]
		testenv.Eval[any](viewer.p, `window.conclave.e2eeControl("passthrough")`)
		time.Sleep(500 * time.Millisecond)
		before := framesFrom(t, viewer, ids["A"])
		time.Sleep(3 * time.Second)
		after := framesFrom(t, viewer, ids["A"])
		decoded := after.FramesDecoded - before.FramesDecoded
		t.Logf("without decryption %s decoded %d of A's frames in 3 s (%d packets arrived)", viewer.name, decoded, after.PacketsReceived-before.PacketsReceived)
		if after.PacketsReceived <= before.PacketsReceived {
			t.Errorf("no packets from A during the control")
		}
		if decoded > 3 {
			t.Errorf("undecrypted frames decoded: %d in 3 s; the decode checks cannot tell encrypted from clear", decoded)
		}
		testenv.Eval[any](viewer.p, `window.conclave.e2eeControl("decrypt")`)
		waitRising(t, viewer, map[string][]string{ids["A"]: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
	})

	t.Run("keys change when people come and go", func(t *testing.T) {
		a0 := pages[0].e2ee().Sending
		// C leaves: A and B move to a new generation that C never gets.
		pages[2].p.Navigate("about:blank")
		pages[0].p.WaitFor(`window.conclave.e2ee().then((s) => s.sending.gen > ` + fmt.Sprint(a0.Gen) + `)`)
		a1 := pages[0].e2ee().Sending
		t.Logf("after C left, A sends with generation %d (was %d)", a1.Gen, a0.Gen)
		waitRising(t, pages[1], map[string][]string{ids["A"]: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
		// E joins with the link: A ratchets before giving E its key, and E decodes A.
		e := peerPage{name: "E", p: b.NewPage(t)}
		e.p.Navigate(fmt.Sprintf(room, "E") + good)
		pages[0].p.WaitFor(`window.conclave.e2ee().then((s) => s.sending.step > ` + fmt.Sprint(a1.Step) + `)`)
		t.Logf("after E joined, A sends with step %d of generation %d", pages[0].e2ee().Sending.Step, a1.Gen)
		e.p.WaitFor(`window.conclave.participants().length === 4`)
		waitRising(t, e, map[string][]string{ids["A"]: {"camera"}, ids["B"]: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
		checkPageClean(t, e)
	})

	t.Run("no key on the server", func(t *testing.T) {
		// The keys never leave the browsers: not in the log (debug level), not
		// in any file of the data directory.
		for _, k := range []string{good, wrong} {
			if strings.Contains(a.Logs.String(), k) {
				t.Errorf("the server log holds a meeting key")
			}
			_ = filepath.WalkDir(a.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(k)) {
					t.Errorf("%s holds a meeting key", path)
				}
				return nil
			})
		}
	})

	for _, pp := range append(pages[:2:2], pages[3]) {
		checkPageClean(t, pp)
	}
}

// waitShowing waits up to 45 s for expr to hold in the page, and failing
// that reports what the page shows: the tiles and the encryption state.
func waitShowing(t *testing.T, pp peerPage, expr string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !testenv.Eval[bool](pp.p, "!!("+expr+")") {
		if time.Now().After(deadline) {
			state := testenv.Eval[string](pp.p, `JSON.stringify({security: window.conclave.security(),
				participants: window.conclave.participants().map((p) => p.id),
				tiles: [...document.querySelectorAll("#grid .tile")].map((e) => e.dataset.participantId + " " + e.className)})`)
			t.Fatalf("%s: %s never held; the page shows %s", pp.name, expr, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// framesFrom returns the page's inbound camera statistics of participant id.
func framesFrom(t *testing.T, pp peerPage, id string) inbound {
	t.Helper()
	s, _ := find(pp.stats(), id, "camera")
	return s
}

// jsQuote makes a JavaScript string literal.
func jsQuote(s string) string { return fmt.Sprintf("%q", s) }
