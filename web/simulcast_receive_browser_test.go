package web_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// The usual order of a join into a room where someone already publishes:
// the server offers that video first, and only then does the client
// publish its simulcast camera, on a connection whose header extension IDs
// the server's offer set (Peer limits a new m-section to the server's
// extensions, and simulcast needs its RID extension). The "server" is a
// second RTCPeerConnection in the page, sending a 640×360 canvas as Bob's
// camera; the client hands the clear frames to the decoder (the E2EE
// negative control), so its statistics and video sizes can be checked:
// which layer a tile receives is read from stats(), and video-size is in
// CSS pixels on a screen of density 2.

// serverOfferJS starts the page's server connection with Bob's camera and
// resolves to its first offer, candidates included, and the video's mid.
const serverOfferJS = `(async () => {
	const gathered = async (c) => { while (c.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 20)); };
	const s = (window.testServer = new RTCPeerConnection());
	const canvas = document.createElement("canvas");
	canvas.width = 640;
	canvas.height = 360;
	const g = canvas.getContext("2d");
	let n = 0;
	setInterval(() => { g.fillStyle = "hsl(" + (n++ % 360) + " 60% 50%)"; g.fillRect(0, 0, 640, 360); }, 40);
	const tr = s.addTransceiver(canvas.captureStream(25).getVideoTracks()[0], { direction: "sendonly" });
	await s.setLocalDescription();
	await gathered(s);
	return JSON.stringify({ sdp: s.localDescription.sdp, mid: tr.mid });
})()`

// serverAnswerJS gives the server connection the client's answer to its
// offer, then answers the client's own offer (taken with its candidates).
func serverAnswerJS(clientAnswer string) string {
	return `(async () => {
	const gathered = async (c) => { while (c.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 20)); };
	const s = window.testServer, pc = window.conclave.pc;
	await s.setRemoteDescription({ type: "answer", sdp: ` + jsQuote(clientAnswer) + ` });
	await gathered(pc);
	await s.setRemoteDescription({ type: "offer", sdp: pc.localDescription.sdp });
	await s.setLocalDescription();
	await gathered(s);
	return s.localDescription.sdp;
})()`
}

// inbound is window.conclave.stats()'s entry for a received track.
type inbound struct {
	TrackID, Kind                          string
	FramesDecoded, FrameWidth, FrameHeight float64
}

func TestBrowserSimulcastAfterServerOffer(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())},
		Timeout: 60 * time.Second, ExtraFlags: []string{"use-fake-device-for-media-stream=fps=30"}})
	p := b.NewPage(t)
	p.Do(chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(2)))
	p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	c.welcomeWith("p_ada", "tok", false, simulcastFeatures, participant("p_bob", "Bob", cameraT))
	testenv.Eval[bool](p, `(window.conclave.e2eeControl("passthrough"), true)`)

	var first struct{ SDP, Mid string }
	if err := json.Unmarshal([]byte(testenv.Eval[string](p, serverOfferJS)), &first); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"type": "offer", "sdp": first.SDP, "tracks": map[string]any{
		first.Mid: map[string]any{"participantId": "p_bob", "trackId": "p_bob-camera", "kind": "video", "source": "camera"}}})
	// The client answers, then offers its own tracks; the size of Bob's
	// tile may come in between. (Had the client published before the
	// server's offer came, it would roll its offer back and offer again.)
	var clientAnswer, sdp string
	var sizes []map[string]any
	pubs := map[string]map[string]any{}
	for sdp == "" {
		switch m := c.read(); m["type"] {
		case "publish":
			pubs[m["source"].(string)] = m
		case "video-size":
			sizes = append(sizes, m)
		case "answer":
			clientAnswer, _ = m["sdp"].(string)
		case "offer":
			if clientAnswer != "" {
				sdp, _ = m["sdp"].(string)
			}
		}
	}
	camID, _ := pubs["camera"]["trackId"].(string)
	cam, mid := mediaSection(t, sdp, camID)
	if got := simulcastLines(cam); !slices.Equal(got, wantSimulcast) {
		t.Errorf("camera m-section after the server's offer: got %q, want %q", got, wantSimulcast)
	}
	if !strings.Contains(cam, " urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n") {
		t.Errorf("camera m-section after the server's offer lacks the RID header extension:\n%s", cam)
	}
	c.send(map[string]any{"type": "answer", "sdp": acceptSimulcast(t, testenv.Eval[string](p, serverAnswerJS(clientAnswer)), mid)})
	connected(p)
	waitEncoding(t, p, []string{"q", "h", "f"})

	t.Run("stats show the size of the received video", func(t *testing.T) {
		var got []inbound
		deadline := time.Now().Add(10 * time.Second)
		for {
			got = testenv.Eval[[]inbound](p, `window.conclave.stats()`)
			if len(got) == 1 && got[0].FramesDecoded > 0 && got[0].FrameHeight > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stats(): got %+v, want Bob's camera decoding", got)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if g := got[0]; g.TrackID != "p_bob-camera" || g.Kind != "video" || g.FrameWidth != 640 || g.FrameHeight != 360 {
			t.Errorf("stats(): got %+v, want Bob's camera at 640x360", g)
		}
	})

	t.Run("video sizes are in CSS pixels", func(t *testing.T) {
		c := c.with(t)
		tile := testenv.Eval[struct{ W, H, DPR float64 }](p, `(() => {
			const el = document.querySelector('#grid .tile[data-participant-id="p_bob"]');
			return { w: el.clientWidth, h: el.clientHeight, dpr: devicePixelRatio }; })()`)
		if tile.DPR != 2 || tile.W == 0 {
			t.Fatalf("Bob's tile: got %+v, want a shown tile at density 2", tile)
		}
		near := func(w, h float64) bool { return math.Abs(w-tile.W) <= 1 && math.Abs(h-tile.H) <= 1 }
		shown := testenv.Eval[[]struct {
			TrackID       string
			Width, Height float64
		}](p, `window.conclave.videoSizes()`)
		if len(shown) != 1 || shown[0].TrackID != "p_bob-camera" || !near(shown[0].Width, shown[0].Height) {
			t.Errorf("videoSizes(): got %+v, want Bob's camera at the tile's %vx%v CSS pixels", shown, tile.W, tile.H)
		}
		// The last video-size sent says the same (a message may still be on its way).
		deadline := time.Now().Add(10 * time.Second)
		for {
			if n := len(sizes); n > 0 && sizes[n-1]["trackId"] == "p_bob-camera" &&
				near(sizes[n-1]["width"].(float64), sizes[n-1]["height"].(float64)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("video-size messages: got %v, want the last for Bob's camera at %vx%v CSS pixels", sizes, tile.W, tile.H)
			}
			if m := c.read(); m["type"] == "video-size" {
				sizes = append(sizes, m)
			}
		}
	})
	checkClean(t, p)
}
