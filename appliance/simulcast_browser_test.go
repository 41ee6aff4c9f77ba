package appliance_test

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/client"
	"conclave/internal/testenv"
)

// encodingsJS lists the active flags of the page's simulcast camera
// sender's encodings, by RID ("" when it has none).
const encodingsJS = `(() => {
	const s = window.conclave.pc?.getSenders().find((s) => s.track?.kind === "video" && s.getParameters().encodings.length > 1);
	return s ? s.getParameters().encodings.map((e) => e.rid + ":" + e.active).join(" ") : "";
})()`

// TestBrowserSimulcast: A publishes its camera as three encodings; B
// receives the one its tile needs, a larger one when A's tile grows (the
// speaker view), and the encodings nobody receives are paused in A's
// browser.
func TestBrowserSimulcast(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	link := a.URL + "/r/simulcast?name=%s&autojoin=1&lang=en#k=" + randomKey(t)
	pub := peerPage{name: "A", p: b.NewPage(t)}
	sub := peerPage{name: "B", p: b.NewPage(t)}
	for _, pp := range []peerPage{pub, sub} {
		pp.p.Do(chromedp.EmulateViewport(1280, 800))
		pp.p.Navigate(fmt.Sprintf(link, pp.name))
	}
	for _, pp := range []peerPage{pub, sub} {
		pp.p.WaitFor(`window.conclave.participants().length === 2`)
	}
	pubID := pub.selfID()
	pub.p.WaitFor(encodingsJS + ` !== ""`)
	t.Logf("A's camera encodings: %s", testenv.Eval[string](pub.p, encodingsJS))

	width := func() int {
		s, _ := find(sub.stats(), pubID, "camera")
		return s.FrameWidth
	}
	tile := func() int {
		return testenv.Eval[int](sub.p, `Math.round(document.querySelector('#grid .tile:not(.self)[data-source="camera"]')?.getBoundingClientRect().width ?? 0)`)
	}
	waitRising(t, sub, map[string][]string{pubID: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })

	// The grid: A's tile is about half the window wide.
	var gridWidth int
	eventually(t, 20*time.Second, "B receives a grid-sized encoding", func() bool {
		gridWidth = width()
		return gridWidth > 0 && gridWidth < 1280
	})
	t.Logf("grid: A's tile is %d px wide, B decodes %d px", tile(), gridWidth)
	// Nobody receives the full encoding, so A pauses it.
	pub.p.WaitFor(encodingsJS + `.includes("f:false")`)
	t.Logf("A's camera encodings with B on the grid: %s", testenv.Eval[string](pub.p, encodingsJS))

	// The speaker view puts A on the stage, nearly the whole window: the
	// full encoding is resumed and B decodes it.
	classClick(sub, "#more-button")
	sub.p.Do(chromedp.SetValue(chromedp.CSS("#layout-select"), "speaker"))
	testenv.Eval[bool](sub.p, `document.getElementById("layout-select").dispatchEvent(new Event("change"))`)
	testenv.Eval[bool](sub.p, `(document.getElementById("more-panel").hidePopover(), true)`)
	var stageWidth int
	eventually(t, 30*time.Second, "B receives the full encoding on the stage", func() bool {
		stageWidth = width()
		return stageWidth > gridWidth
	})
	t.Logf("speaker view: A's tile is %d px wide, B decodes %d px", tile(), stageWidth)
	pub.p.WaitFor(encodingsJS + `.includes("f:true")`)
	sub.p.Screenshot(screenshotPath(t, "simulcast-stage-1280.png"))
	for _, pp := range []peerPage{pub, sub} {
		checkPageClean(t, pp)
	}
}

// eventually polls cond every 200 ms until it holds, failing after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

// TestBrowserSimulcastAfterAudioOnly: the server's first offer to a browser
// holds only an audio track (the one other participant sends no video).
// The browser's own offer then adds its simulcast camera, which needs the
// RID header extension: it must be among those the server negotiated, or
// Chromium refuses its own offer and the camera is never sent.
func TestBrowserSimulcastAfterAudioOnly(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	key := randomKey(t)
	secret, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	bot := joinBot(t, a, "audio-first", "radio", func(c *client.Config) {
		c.Publish = client.Publish{Audio: true}
		c.Secret = secret
	})
	b := meetingBrowser(t, a)
	pp := peerPage{name: "B", p: b.NewPage(t)}
	pp.p.Navigate(a.URL + "/r/audio-first?name=B&autojoin=1&lang=en#k=" + key)
	pp.p.WaitFor(`window.conclave.participants().length === 2`)
	id := pp.selfID()
	eventually(t, 20*time.Second, "the bot receives B's camera", func() bool {
		return bot.Received(id, "video").Packets > 50
	})
	pp.p.WaitFor(encodingsJS + ` !== ""`)
	checkPageClean(t, pp)
}
