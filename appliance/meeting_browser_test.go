package appliance_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// inbound is one entry of window.conclave.stats(): the inbound-rtp
// statistics of one received track, and whose track it is.
type inbound struct {
	ParticipantID    string
	Kind, Source     string
	PacketsReceived  int
	FramesDecoded    int
	FrameWidth       int
	TotalAudioEnergy float64
}

// peerPage is one browser tab in the meeting.
type peerPage struct {
	name string
	p    *testenv.Page
}

func (pp peerPage) stats() []inbound {
	return testenv.Eval[[]inbound](pp.p, "window.conclave.stats()")
}

// selfID is the page's participant ID, from the test hook.
func (pp peerPage) selfID() string {
	return testenv.Eval[string](pp.p, `window.conclave.participants()[0].id`)
}

// find returns the entry for participant id's track of the given source.
func find(stats []inbound, id, source string) (inbound, bool) {
	for _, s := range stats {
		if s.ParticipantID == id && s.Source == source {
			return s, true
		}
	}
	return inbound{}, false
}

// waitRising waits until every wanted (participant, source) is received
// and its counter has grown between two samples a second apart. It
// returns the last sample.
func waitRising(t *testing.T, pp peerPage, want map[string][]string, counter func(inbound) float64) []inbound {
	t.Helper()
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	prev := pp.stats()
	for {
		time.Sleep(time.Second)
		cur := pp.stats()
		missing := ""
		for id, sources := range want {
			for _, src := range sources {
				a, okA := find(prev, id, src)
				b, okB := find(cur, id, src)
				if !okA || !okB || counter(b) <= counter(a) {
					missing += fmt.Sprintf(" %s/%s (before %v, now %v)", id, src, a, b)
				}
			}
		}
		if missing == "" {
			t.Logf("%s: all rising after %v", pp.name, time.Since(start).Round(100*time.Millisecond))
			return cur
		}

		if time.Now().After(deadline) {
			t.Fatalf("%s: not rising after 30 s:%s", pp.name, missing)
		}
		prev = cur
	}
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkPageClean fails on CSP violations and console errors of the page.
func checkPageClean(t *testing.T, pp peerPage) {
	t.Helper()
	if v := pp.p.CSPViolations(); len(v) != 0 {
		t.Errorf("%s: CSP violations %q", pp.name, v)
	}
	if e := pp.p.ConsoleErrors(); len(e) != 0 {
		t.Errorf("%s: console errors %q", pp.name, e)
	}
}

// TestBrowserMeeting holds a three-way call through the real appliance:
// three Chromium tabs with fake cameras and microphones join /r/t; each
// must decode the others' video and receive their audio, and a shared
// screen must decode at another tab. It logs the join time, from the
// click on Join to the first remote video frame on screen.
func TestBrowserMeeting(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	link := a.URL + "/r/t?name=%s&autojoin=1#k=" + randomKey(t)

	pages := make([]peerPage, 0, 3)
	for _, name := range []string{"A", "B"} {
		p := b.NewPage(t)
		p.Navigate(fmt.Sprintf(link, name))
		pages = append(pages, peerPage{name: name, p: p})
	}
	// C joins through the pre-join screen, so that we time a person's click.
	c := peerPage{name: "C", p: b.NewPage(t)}
	c.p.Navigate(strings.Replace(fmt.Sprintf(link, "C"), "&autojoin=1", "", 1))
	c.p.WaitFor(`document.getElementById("preview-video").videoWidth > 0`)
	clicked := time.Now()
	c.p.Do(chromedp.Click(chromedp.CSS("#join-button")))
	pages = append(pages, c)

	for _, pp := range pages {
		pp.p.WaitFor(`window.conclave.participants().length === 3`)
	}
	ids := map[string]string{}
	for _, pp := range pages {
		ids[pp.name] = pp.selfID()
	}

	c.p.WaitFor(`window.conclave.timings().firstRemoteFrame > 0`)
	inPage := testenv.Eval[float64](c.p, `(() => { const t = window.conclave.timings(); return t.firstRemoteFrame - t.joinClicked; })()`)
	t.Logf("join time (click on Join to first remote frame shown), in the page: %.0f ms; seen from the test: %v",
		inPage, time.Since(clicked).Round(time.Millisecond))

	t.Run("video and audio both ways", func(t *testing.T) {
		for _, pp := range pages {
			want := map[string][]string{}
			for name, id := range ids {
				if name != pp.name {
					want[id] = []string{"camera", "microphone"}
				}
			}
			video := waitRising(t, pp, want, func(s inbound) float64 {
				if s.Kind == "video" {
					return float64(s.FramesDecoded)
				}
				return float64(s.PacketsReceived)
			})
			audio := waitRising(t, pp, want, func(s inbound) float64 {
				if s.Kind == "audio" {
					return s.TotalAudioEnergy
				}
				return float64(s.FramesDecoded)
			})
			for _, s := range video {
				if s.Kind == "video" {
					t.Logf("%s receives %s's %s: %d frames decoded, %d px wide", pp.name, s.ParticipantID, s.Source, s.FramesDecoded, s.FrameWidth)
				}
			}
			for _, s := range audio {
				if s.Kind == "audio" {
					t.Logf("%s receives %s's %s: %d packets, total audio energy %.3f", pp.name, s.ParticipantID, s.Source, s.PacketsReceived, s.TotalAudioEnergy)
				}
			}
			if n := testenv.Eval[int](pp.p, `[...document.querySelectorAll("#grid .tile video")].filter((v) => v.videoWidth > 0).length`); n != 3 {
				t.Errorf("%s: %d tiles show video, want 3", pp.name, n)
			}
		}
		pages[0].p.Screenshot(screenshotPath(t, "meeting-3-way.png"))
	})

	t.Run("screen share", func(t *testing.T) {
		sharer, viewer := pages[0], pages[1]
		sharer.p.Do(chromedp.Click(chromedp.CSS("#screen-button")))
		waitRising(t, viewer, map[string][]string{ids[sharer.name]: {"screen"}}, func(s inbound) float64 {
			return float64(s.FramesDecoded)
		})
		viewer.p.WaitFor(`document.querySelector("#grid .tile.screen video")?.videoWidth > 0`)
		viewer.p.Screenshot(screenshotPath(t, "meeting-screen-share.png"))
	})

	t.Run("mute shows at the others", func(t *testing.T) {
		muter := pages[2]
		muter.p.Do(chromedp.Click(chromedp.CSS("#mic-button")))
		for _, pp := range pages[:2] {
			pp.p.WaitFor(`document.querySelector('#grid .tile[data-participant-id="` + ids[muter.name] + `"]').classList.contains("mic-off")`)
		}
	})

	for _, pp := range pages {
		checkPageClean(t, pp)
	}
}
