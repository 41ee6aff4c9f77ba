package appliance_test

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"conclave/client"
	"conclave/internal/testenv"
)

// TestBrowserMixedMeetingWithBot: two Chromium tabs and one Go bot in one
// end-to-end encrypted room. The browsers decode the bot's VP8 clip and hear
// its Opus clip, and the bot decrypts both browsers' audio and video: the
// browser's worker and the Go sframe package speak the same format and the
// same key protocol.
func TestBrowserMixedMeetingWithBot(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	key := randomKey(t)
	secret, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	// The bot holds the same meeting link, so it speaks the browsers' E2EE.
	bot := joinBot(t, a, "mixed", "Bot", func(c *client.Config) { c.Secret = secret })
	link := a.URL + "/r/mixed?name=%s&autojoin=1#k=" + key
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
			for bot.Received(id, kind).Decrypted < 20 {
				if time.Now().After(deadline) {
					t.Fatalf("the bot decrypted %+v %s frames from %s, want 20 or more", bot.Received(id, kind), kind, pp.name)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if st := bot.Received(id, kind); st.DecryptFailures != 0 {
				t.Errorf("the bot failed to decrypt %d of %s's %s frames", st.DecryptFailures, pp.name, kind)
			}
		}
	}
	pages[0].p.Screenshot(screenshotPath(t, "mixed-meeting.png"))
	for _, pp := range pages {
		checkPageClean(t, pp)
	}
}
