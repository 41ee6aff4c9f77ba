package web_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// The browser side of simulcast (docs/protocol.md, "Simulcast") against
// the scripted signaling server: which offers publish the camera as three
// encodings, and how `layers` messages pause and resume them.

// simulcastFeatures is the welcome's feature list of a server that takes simulcast.
var simulcastFeatures = []string{"video-size", "simulcast"}

// cameraSender finds our camera's sender on the page's peer connection:
// the video sender whose transceiver's mid is the camera's (replaceTrack
// changes the track, never the mid). It is a JavaScript expression for
// the sender, or undefined.
func cameraSender(mid string) string {
	return `window.conclave.pc?.getTransceivers().find((t) => t.mid === ` + jsQuote(mid) + `)?.sender`
}

// jsQuote returns s as a JavaScript string literal.
func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// offerWithPublishes reads messages until the client's next offer and
// returns it with the publish messages sent before it, by source.
func offerWithPublishes(c *fakeConn) (string, map[string]map[string]any) {
	c.t.Helper()
	pubs := map[string]map[string]any{}
	for {
		m := c.read()
		switch m["type"] {
		case "publish":
			pubs[m["source"].(string)] = m
		case "offer":
			sdp, _ := m["sdp"].(string)
			return sdp, pubs
		}
	}
}

// mediaSection returns the m-section of sdp that sends the track, and its mid.
func mediaSection(t *testing.T, sdp, trackID string) (section, mid string) {
	t.Helper()
	for _, sec := range strings.Split(sdp, "\r\nm=")[1:] {
		if !regexp.MustCompile(`(?m)^a=msid:\S+ ` + regexp.QuoteMeta(trackID) + `\r?$`).MatchString(sec) {
			continue
		}
		m := regexp.MustCompile(`(?m)^a=mid:(\S+)`).FindStringSubmatch(sec)
		if m == nil {
			t.Fatalf("the section of track %s has no mid:\n%s", trackID, sec)
		}
		return "m=" + sec, m[1]
	}
	t.Fatalf("no m-section sends track %s in:\n%s", trackID, sdp)
	return "", ""
}

// simulcastLines returns the rid and simulcast attributes of an m-section, in order.
func simulcastLines(section string) []string {
	return regexp.MustCompile(`(?m)^a=(?:rid|simulcast):[^\r\n]*`).FindAllString(section, -1)
}

var wantSimulcast = []string{"a=rid:q send", "a=rid:h send", "a=rid:f send", "a=simulcast:send q;h;f"}

// encodingsActive returns the active flag of each encoding of the sender, in order.
func encodingsActive(p *testenv.Page, sender string) []bool {
	return testenv.Eval[[]bool](p, `(`+sender+`)?.getParameters().encodings.map((e) => e.active) ?? null`)
}

// waitActive waits up to 10 s until the sender's encodings are active as want.
func waitActive(t *testing.T, p *testenv.Page, sender string, want []bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := encodingsActive(p, sender)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera encodings active: got %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserSimulcastOffer(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})

	t.Run("server without simulcast", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
		c := sig.nextFor(t, p)
		c.readType("join")
		c.welcomeWith("p_ada", "tok", false, []string{"video-size"})
		sdp, pubs := offerWithPublishes(c)
		if got := simulcastLines(sdp); len(got) != 0 {
			t.Errorf("offer to a server without the feature: got %q, want no rid or simulcast lines", got)
		}
		camID, _ := pubs["camera"]["trackId"].(string)
		_, mid := mediaSection(t, sdp, camID)
		// A layers message (which such a server never sends) changes nothing.
		c.send(map[string]any{"type": "layers", "trackId": camID, "active": []string{"q"}})
		c.send(map[string]any{"type": "participant-joined", "participant": participant("p_bob", "Bob", micOn)})
		p.WaitFor(`document.querySelectorAll("#grid .tile").length === 2`)
		if got := encodingsActive(p, cameraSender(mid)); !slices.Equal(got, []bool{true}) {
			t.Errorf("camera encodings: got %v, want one active encoding", got)
		}
		checkClean(t, p)
	})

	t.Run("server with simulcast", func(t *testing.T) {
		p := b.NewPage(t)
		p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
		c := sig.nextFor(t, p)
		c.readType("join")
		c.welcomeWith("p_ada", "tok-1", false, simulcastFeatures)
		sdp, pubs := offerWithPublishes(c)
		camID, _ := pubs["camera"]["trackId"].(string)
		cam, mid := mediaSection(t, sdp, camID)
		if got := simulcastLines(cam); !slices.Equal(got, wantSimulcast) {
			t.Errorf("camera m-section: got %q, want %q", got, wantSimulcast)
		}
		mic, _ := mediaSection(t, sdp, pubs["microphone"]["trackId"].(string))
		if got := simulcastLines(mic); len(got) != 0 {
			t.Errorf("microphone m-section: got %q, want no rid or simulcast lines", got)
		}
		sender := cameraSender(mid)
		enc := testenv.Eval[string](p, `JSON.stringify((`+sender+`).getParameters().encodings.map((e) => [e.rid, e.active, e.scaleResolutionDownBy, e.maxBitrate]))`)
		if want := `[["q",true,4,150000],["h",true,2,500000],["f",true,1,1500000]]`; enc != want {
			t.Errorf("camera encodings before any layers message: got %s, want %s", enc, want)
		}
		if got := testenv.Eval[string](p, `JSON.stringify((`+sender+`).track.getSettings().height)`); got != "720" {
			t.Errorf("camera height: got %s, want 720 (three layers need it)", got)
		}

		layers := func(active any) {
			c.send(map[string]any{"type": "layers", "trackId": camID, "active": active})
		}
		steps := []struct {
			name   string
			active []string
			want   []bool
		}{
			{"quarter only", []string{"q"}, []bool{true, false, false}},
			{"all", []string{"q", "h", "f"}, []bool{true, true, true}},
			{"none", []string{}, []bool{false, false, false}},
			{"half and full", []string{"f", "h"}, []bool{false, true, true}},
		}
		for _, s := range steps {
			layers(s.active)
			waitActive(t, p, sender, s.want)
		}
		// Messages are handled in order: once the last one shows, those
		// before it (another track, a malformed one) were ignored.
		c.send(map[string]any{"type": "layers", "trackId": "not-ours", "active": []string{"q"}})
		c.send(map[string]any{"type": "layers", "trackId": camID})
		c.send(map[string]any{"type": "layers", "trackId": camID, "active": "q"})
		layers([]string{"h"})
		waitActive(t, p, sender, []bool{false, true, false})

		t.Run("camera off and on keeps the layers", func(t *testing.T) {
			c := c.with(t)
			p.Do(chromedp.Click(chromedp.CSS("#cam-button")))
			c.readType("mute")
			p.Do(chromedp.Click(chromedp.CSS("#cam-button")))
			if m, _ := c.readType("mute"); m["muted"] != false {
				t.Errorf("after turning the camera on: got %v, want unmuted", m)
			}
			p.WaitFor(`(` + sender + `).track?.readyState === "live"`)
			if got := encodingsActive(p, sender); !slices.Equal(got, []bool{false, true, false}) {
				t.Errorf("encodings after a new camera track: got %v, want [false true false]", got)
			}
			layers([]string{"q", "h"})
			waitActive(t, p, sender, []bool{true, true, false})
		})

		t.Run("a resume publishes simulcast again, the screen share single", func(t *testing.T) {
			c := c.with(t)
			p.Do(chromedp.Click(chromedp.CSS("#screen-button")))
			if pub, _ := c.readType("publish"); pub["source"] != "screen" {
				t.Fatalf("after clicking share: got %v, want a screen publish", pub)
			}
			c.drop()
			c2 := sig.nextFor(t, p)
			if j := c2.read(); j["resume"] != "tok-1" {
				t.Fatalf("rejoin: got %v, want a join with resume token tok-1", j)
			}
			c2.welcomeWith("p_ada", "tok-2", true, simulcastFeatures)
			sdp, pubs := offerWithPublishes(c2)
			if len(pubs) != 3 {
				t.Fatalf("published after the resume: got %v, want microphone, camera and screen", pubs)
			}
			cam, mid := mediaSection(t, sdp, pubs["camera"]["trackId"].(string))
			if got := simulcastLines(cam); !slices.Equal(got, wantSimulcast) {
				t.Errorf("camera m-section after the resume: got %q, want %q", got, wantSimulcast)
			}
			screen, _ := mediaSection(t, sdp, pubs["screen"]["trackId"].(string))
			if got := simulcastLines(screen); len(got) != 0 {
				t.Errorf("screen m-section: got %q, want no rid or simulcast lines", got)
			}
			// A new server session: every encoding is active until it says otherwise.
			if got := encodingsActive(p, cameraSender(mid)); !slices.Equal(got, []bool{true, true, true}) {
				t.Errorf("camera encodings after the resume: got %v, want all active", got)
			}
			c2.send(map[string]any{"type": "layers", "trackId": pubs["camera"]["trackId"], "active": []string{"f"}})
			waitActive(t, p, cameraSender(mid), []bool{false, false, true})
		})
		checkClean(t, p)
	})
}
