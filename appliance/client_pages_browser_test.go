package appliance_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/client"
	"conclave/internal/testenv"
)

// TestBrowserPagination: a browser in a meeting of ten E2EE bots shows a
// page of tiles (9 on a large screen, 4 on a phone) with a pager, the next
// page shows the others, the tiles on screen show video, and only their
// videos have a size to ask the server for (the others 0×0).
func TestBrowserPagination(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	key := randomKey(t)
	secret, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		joinBot(t, a, "assembly", fmt.Sprintf("Bot %02d", i+1), func(c *client.Config) {
			c.Secret = secret
			c.Publish = client.Publish{Video: true}
		})
	}
	pp := peerPage{"viewer", meetingBrowser(t, a).NewPage(t)}
	pp.p.Do(chromedp.EmulateViewport(1280, 800))
	pp.p.Navigate(a.URL + "/r/assembly?name=Viewer&autojoin=1&lang=en#k=" + key)
	pp.p.WaitFor(`window.conclave.participants().length === 11 && window.conclave.security().state === "secure"`)

	shown := func() []string { return testenv.Eval[[]string](pp.p, `window.conclave.room().shown`) }
	// sized counts the received videos shown (a size) and hidden (0×0):
	// what the client would ask the server to send.
	sized := func() (on, off int) {
		for _, s := range testenv.Eval[[]struct{ Width, Height float64 }](pp.p, `window.conclave.videoSizes()`) {
			if s.Width > 0 && s.Height > 0 {
				on++
			} else {
				off++
			}
		}
		return on, off
	}
	pp.p.WaitFor(`!document.getElementById("pager").hidden && document.getElementById("page-label").textContent === "Page 1 of 2"`)
	first := shown()
	if len(first) != 9 {
		t.Errorf("page 1 shows %d tiles, want 9", len(first))
	}
	pp.p.WaitFor(`[...document.querySelectorAll("#grid .tile:not([hidden]) video")].filter((v) => v.videoWidth > 0).length === 9`)
	pp.p.Screenshot(screenshotPath(t, "pages-1-1280.png"))
	if on, off := sized(); on != 8 || off != 2 {
		t.Errorf("page 1: %d videos sized, %d at 0x0; want 8 (9 tiles less our own) and 2", on, off)
	}

	classClick(pp, "#page-next")
	pp.p.WaitFor(`document.getElementById("page-label").textContent === "Page 2 of 2"`)
	second := shown()
	if len(second) != 2 {
		t.Errorf("page 2 shows %d tiles, want 2", len(second))
	}
	for _, k := range second {
		if slices.Contains(first, k) {
			t.Errorf("tile %s is on both pages", k)
		}
	}
	pp.p.WaitFor(`[...document.querySelectorAll("#grid .tile:not([hidden]) video")].filter((v) => v.videoWidth > 0).length === 2`)
	pp.p.Screenshot(screenshotPath(t, "pages-2-1280.png"))
	if on, off := sized(); on != 2 || off != 8 {
		t.Errorf("page 2: %d videos sized, %d at 0x0; want 2 and 8", on, off)
	}
	// The server sends only the videos on screen: the 8 bots of page 1 stop
	// arriving, the 2 of page 2 keep coming.
	time.Sleep(time.Second) // the sizes reach the server
	videoFlow(t, pp, second, first)

	pp.p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	pp.p.WaitFor(`document.getElementById("page-label").textContent === "Page 2 of 3"`)
	classClick(pp, "#page-prev")
	pp.p.WaitFor(`document.getElementById("page-label").textContent === "Page 1 of 3" && window.conclave.room().shown.length === 4`)
	// Back on screen, a paused video resumes (from a key frame it asks for).
	time.Sleep(time.Second)
	videoFlow(t, pp, shown(), second)
	pp.p.Screenshot(screenshotPath(t, "pages-390.png"))
	out := testenv.Eval[[]string](pp.p, `[...document.querySelectorAll("#grid .tile:not([hidden]), #pager, #controls button")].filter((e) => {
		const r = e.getBoundingClientRect();
		return r.width > 0 && (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1);
	}).map((e) => e.id || e.dataset.key)`)
	if len(out) != 0 {
		t.Errorf("outside the 390x844 viewport: %q", out)
	}
	overlap := testenv.Eval[bool](pp.p, `(() => {
		const pager = document.getElementById("pager").getBoundingClientRect();
		return [...document.querySelectorAll("#grid .tile:not([hidden])")].some((e) => {
			const r = e.getBoundingClientRect();
			return r.bottom > pager.top && r.top < pager.bottom && r.right > pager.left && r.left < pager.right;
		});
	})()`)
	if overlap {
		t.Error("the pager covers a tile")
	}
	checkPageClean(t, pp)
}

// videoFlow checks over two seconds that the camera video of every
// participant whose tile is in shown keeps being decoded, and that no
// packets arrive of those in hidden (tiles of other pages).
func videoFlow(t *testing.T, pp peerPage, shown, hidden []string) {
	t.Helper()
	ids := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if strings.HasPrefix(k, "p_") && !strings.Contains(k, ":") {
				out = append(out, k)
			}
		}
		return out
	}
	if len(ids(shown)) == 0 || len(ids(hidden)) == 0 {
		t.Fatalf("no participant tiles among shown %q and hidden %q: nothing to check", shown, hidden)
	}
	before := pp.stats()
	time.Sleep(2 * time.Second)
	after := pp.stats()
	for _, id := range ids(shown) {
		a, _ := find(before, id, "camera")
		b, _ := find(after, id, "camera")
		if b.FramesDecoded <= a.FramesDecoded {
			t.Errorf("%s's video is on screen but not decoding (%d then %d frames)", id, a.FramesDecoded, b.FramesDecoded)
		}
	}
	for _, id := range ids(hidden) {
		if slices.Contains(shown, id) {
			continue
		}
		a, _ := find(before, id, "camera")
		b, _ := find(after, id, "camera")
		if b.PacketsReceived > a.PacketsReceived {
			t.Errorf("%s's video is off screen but %d packets arrived in 2 s", id, b.PacketsReceived-a.PacketsReceived)
		}
	}
}
