package web_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"conclave/internal/testenv"
)

// A simulcast camera that really sends: the scripted server answers the
// client's offers with an answer made by a second RTCPeerConnection in the
// same page (a browser cannot receive simulcast, so the answer is edited
// to accept the three RIDs, as an SFU's would). The connection comes up on
// loopback, and the sender's own statistics show which encodings the
// encoder produces and that the E2EE transform seals every one of them.
// Through the real SFU, appliance/ tests it end to end.

// answererJS makes (once) the page's answering connection, answers the
// client's current offer with it once both have gathered their candidates
// (so that no trickle is needed), and resolves to the answer's SDP.
const answererJS = `(async () => {
	const pc = window.conclave.pc;
	const gathered = async (c) => { while (c.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 20)); };
	await gathered(pc);
	const a = (window.testAnswerer ??= new RTCPeerConnection());
	await a.setRemoteDescription({ type: "offer", sdp: pc.localDescription.sdp });
	await a.setLocalDescription();
	await gathered(a);
	return a.localDescription.sdp;
})()`

// acceptSimulcast edits an answer to receive the three RIDs on the
// m-section of mid. The answering browser takes only one of the streams
// and drops the others' packets unseen, so their congestion feedback
// never comes and the sender's bandwidth estimate would stay too low for
// the larger encodings: the answer also sets a floor (Chromium's
// x-google-min-bitrate, read from the receiver's VP8 parameters).
func acceptSimulcast(t *testing.T, sdp, mid string) string {
	t.Helper()
	line := "a=mid:" + mid + "\r\n"
	if strings.Count(sdp, line) != 1 {
		t.Fatalf("answer: want one %q in:\n%s", line, sdp)
	}
	vp8 := regexp.MustCompile(`a=rtpmap:(\d+) VP8/90000`).FindStringSubmatch(sdp)
	if vp8 == nil || strings.Contains(sdp, "a=fmtp:"+vp8[1]+" ") {
		t.Fatalf("answer: want VP8 without parameters in:\n%s", sdp)
	}
	// Every m-section of the BUNDLE group must give VP8 the same parameters.
	rtpmap := "a=rtpmap:" + vp8[1] + " VP8/90000\r\n"
	sdp = strings.ReplaceAll(sdp, rtpmap, rtpmap+"a=fmtp:"+vp8[1]+" x-google-min-bitrate=2200;x-google-start-bitrate=2200\r\n")
	return strings.Replace(sdp, line, line+"a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n", 1)
}

// sendSample is what the client has sent so far.
type sendSample struct {
	Video  map[string]struct{ Enc, W, H float64 } // outbound camera encodings by RID
	Audio  float64                                // microphone packets (one Opus frame each)
	Sealed float64                                // frames the E2EE worker encrypted, audio and video
}

const sendSampleJS = `(async () => {
	const out = { video: {}, audio: 0, sealed: 0 };
	(await window.conclave.pc.getStats()).forEach((s) => {
		if (s.type !== "outbound-rtp") return;
		if (s.kind === "video") out.video[s.rid ?? ""] = { enc: s.framesEncoded ?? 0, w: s.frameWidth ?? 0, h: s.frameHeight ?? 0 };
		else out.audio += s.packetsSent ?? 0;
	});
	out.sealed = (await window.conclave.e2ee()).send.frames;
	return JSON.stringify(out);
})()`

func sampleSent(t *testing.T, p *testenv.Page) sendSample {
	t.Helper()
	var s sendSample
	if err := json.Unmarshal([]byte(testenv.Eval[string](p, sendSampleJS)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// encoded returns the frames each encoding produced between two samples, as "q:N h:N f:N".
func encoded(a, b sendSample) (map[string]float64, string) {
	d := map[string]float64{}
	var parts []string
	for _, rid := range []string{"q", "h", "f"} {
		d[rid] = b.Video[rid].Enc - a.Video[rid].Enc
		parts = append(parts, fmt.Sprintf("%s:%.0f", rid, d[rid]))
	}
	return d, strings.Join(parts, " ")
}

// waitEncoding samples twice a second until the encodings that produce
// frames are exactly want, for up to 20 s (bandwidth estimation must ramp
// up before libwebrtc turns on the larger encodings; a resumed encoding
// starts with a key frame), and returns the last two samples.
func waitEncoding(t *testing.T, p *testenv.Page, want []string) (sendSample, sendSample) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	prev := sampleSent(t, p)
	for {
		time.Sleep(500 * time.Millisecond)
		cur := sampleSent(t, p)
		d, desc := encoded(prev, cur)
		var got []string
		for _, rid := range []string{"q", "h", "f"} {
			if d[rid] > 0 {
				got = append(got, rid)
			}
		}
		if slices.Equal(got, want) {
			return prev, cur
		}
		if time.Now().After(deadline) {
			t.Fatalf("encodings producing frames: got %v (%s in 0.5 s), want %v", got, desc, want)
		}
		prev = cur
	}
}

// cameraDevice is a JavaScript expression for the device ID of the sender's camera.
func cameraDevice(sender string) string {
	return `(` + sender + `).track.getSettings().deviceId`
}

// connected waits for the client's connection to be up.
func connected(p *testenv.Page) {
	p.WaitFor(`window.conclave.pc?.connectionState === "connected"`)
}

func TestBrowserSimulcastMedia(t *testing.T) {
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())},
		Timeout: 60 * time.Second, ExtraFlags: []string{"use-fake-device-for-media-stream=fps=30"}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/r/brisk-otter-42?name=Ada&autojoin=1#k=" + key)
	c := sig.nextFor(t, p)
	c.readType("join")
	c.welcomeWith("p_ada", "tok", false, simulcastFeatures)
	sdp, pubs := offerWithPublishes(c)
	camID, _ := pubs["camera"]["trackId"].(string)
	_, mid := mediaSection(t, sdp, camID)
	c.send(map[string]any{"type": "answer", "sdp": acceptSimulcast(t, testenv.Eval[string](p, answererJS), mid)})
	connected(p)
	sender := cameraSender(mid)
	if got := encodingsActive(p, sender); !slices.Equal(got, []bool{true, true, true}) {
		t.Fatalf("camera encodings after the answer: got %v, want three active", got)
	}

	t.Run("every encoding is sent and encrypted", func(t *testing.T) {
		_, s := waitEncoding(t, p, []string{"q", "h", "f"})
		q, h, f := s.Video["q"], s.Video["h"], s.Video["f"]
		t.Logf("encodings: q %.0fx%.0f, h %.0fx%.0f, f %.0fx%.0f", q.W, q.H, h.W, h.H, f.W, f.H)
		if !(q.W > 0 && q.W < h.W && h.W < f.W) {
			t.Errorf("encoding widths: got q %.0f, h %.0f, f %.0f, want growing", q.W, h.W, f.W)
		}
		// The worker counts every frame it seals; the encoder every frame
		// of each encoding. A transform that missed an encoding would seal
		// a third or two thirds of them. On a busy machine the worker may
		// lag behind the encoder for a while: a window is tried again.
		var tries []string
		for range 4 {
			a := sampleSent(t, p)
			time.Sleep(2 * time.Second)
			z := sampleSent(t, p)
			d, desc := encoded(a, z)
			video := d["q"] + d["h"] + d["f"]
			sealed := (z.Sealed - a.Sealed) - (z.Audio - a.Audio)
			tries = append(tries, fmt.Sprintf("encoded %s (%.0f), sealed %.0f", desc, video, sealed))
			if video >= 60 && sealed >= 0.9*video-10 && sealed <= 1.1*video+10 {
				t.Logf("in 2 s: %s", tries[len(tries)-1])
				return
			}
		}
		t.Errorf("video frames sealed by the E2EE worker and encoded by the three encodings in 2 s: %q; want equal", tries)
	})

	layers := func(active ...string) {
		c.send(map[string]any{"type": "layers", "trackId": camID, "active": append([]string{}, active...)})
	}
	t.Run("layers pause and resume the encoder", func(t *testing.T) {
		layers("q")
		waitEncoding(t, p, []string{"q"})
		// The test hook for tests through the real server says the same.
		type sent struct {
			TrackID, RID                           string
			Active                                 bool
			FramesEncoded, FrameWidth, FrameHeight float64
		}
		got := testenv.Eval[[]sent](p, `window.conclave.sentLayers()`)
		if len(got) != 3 || got[0].TrackID != camID || got[0].RID != "q" || !got[0].Active || got[0].FrameWidth != 320 ||
			got[0].FramesEncoded == 0 || got[1].RID != "h" || got[1].Active || got[2].RID != "f" || got[2].Active {
			t.Errorf("sentLayers(): got %+v, want q active at 320 wide, h and f paused", got)
		}
		layers()
		a, z := waitEncoding(t, p, nil)
		if sealed := (z.Sealed - a.Sealed) - (z.Audio - a.Audio); sealed > 2 {
			t.Errorf("with every encoding paused the worker still sealed %.0f video frames", sealed)
		}
		layers("q", "h", "f")
		waitEncoding(t, p, []string{"q", "h", "f"})
	})

	t.Run("an ICE restart keeps simulcast and the layers", func(t *testing.T) {
		c := c.with(t)
		layers("h")
		waitEncoding(t, p, []string{"h"})
		testenv.Eval[bool](p, `(window.conclave.pc.restartIce(), true)`)
		offer, _ := c.readType("offer")
		restart, _ := offer["sdp"].(string)
		cam, _ := mediaSection(t, restart, camID)
		// RFC 8853: "~" marks the encodings paused when the offer was made.
		want := []string{"a=rid:q send", "a=rid:h send", "a=rid:f send", "a=simulcast:send ~q;h;~f"}
		if got := simulcastLines(cam); !slices.Equal(got, want) {
			t.Errorf("camera m-section of the ICE restart offer: got %q, want %q", got, want)
		}
		if ufrag := regexp.MustCompile(`a=ice-ufrag:(\S+)`); ufrag.FindString(restart) == ufrag.FindString(sdp) {
			t.Errorf("the ICE restart offer kept the ICE credentials %s", ufrag.FindString(sdp))
		}
		c.send(map[string]any{"type": "answer", "sdp": acceptSimulcast(t, testenv.Eval[string](p, answererJS), mid)})
		p.WaitFor(`window.conclave.pc.signalingState === "stable"`)
		connected(p)
		if got := encodingsActive(p, sender); !slices.Equal(got, []bool{false, true, false}) {
			t.Errorf("camera encodings after the ICE restart: got %v, want [false true false]", got)
		}
		waitEncoding(t, p, []string{"h"})
	})

	t.Run("a camera switch keeps the layers", func(t *testing.T) {
		// Chromium's second fake camera is a depth camera that the encoder
		// does not take, so the switch reopens the same one: the same path
		// (open, replaceTrack) with a new track.
		before := testenv.Eval[string](p, `(`+sender+`).track.id`)
		testenv.Eval[bool](p, `(() => {
			const sel = document.getElementById("cam-switch");
			sel.value = `+cameraDevice(sender)+`;
			return sel.dispatchEvent(new Event("change")); })()`)
		p.WaitFor(`(` + sender + `).track?.id !== ` + jsQuote(before) + ` && (` + sender + `).track?.readyState === "live"`)
		if got := encodingsActive(p, sender); !slices.Equal(got, []bool{false, true, false}) {
			t.Errorf("camera encodings after switching cameras: got %v, want [false true false]", got)
		}
		waitEncoding(t, p, []string{"h"})
		layers("q", "f")
		waitEncoding(t, p, []string{"q", "f"})
	})
	checkClean(t, p)
}
