package appliance_test

import (
	"fmt"
	"testing"
	"time"

	"conclave/internal/testenv"
)

// TestBrowserMixedMeetingWithBot: two Chromium tabs and one Go bot in one
// room. The browsers decode the bot's VP8 clip and hear its Opus clip, and
// the bot receives both browsers' audio and video.
func TestBrowserMixedMeetingWithBot(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	bot := joinBot(t, a, "mixed", "Bot", nil)
	link := a.URL + "/r/mixed?name=%s&autojoin=1#k=" + randomKey(t)
	var pages []peerPage
	for _, name := range []string{"A", "B"} {
		p := b.NewPage(t)
		p.Navigate(fmt.Sprintf(link, name))
		pages = append(pages, peerPage{name: name, p: p})
	}
	for _, pp := range pages {
		pp.p.WaitFor(`window.conclave.participants().length === 3`)
	}
	botID := bot.ParticipantID()
	for _, pp := range pages {
		waitRising(t, pp, map[string][]string{botID: {"camera"}}, func(s inbound) float64 { return float64(s.FramesDecoded) })
		waitRising(t, pp, map[string][]string{botID: {"microphone"}}, func(s inbound) float64 { return s.TotalAudioEnergy })
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, pp := range pages {
		id := pp.selfID()
		for _, kind := range []string{"audio", "video"} {
			for bot.Received(id, kind).Packets < 20 {
				if time.Now().After(deadline) {
					t.Fatalf("the bot received %d %s packets from %s, want 20 or more", bot.Received(id, kind).Packets, kind, pp.name)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	pages[0].p.Screenshot(screenshotPath(t, "mixed-meeting.png"))
	for _, pp := range pages {
		checkPageClean(t, pp)
	}
}
