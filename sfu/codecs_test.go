package sfu

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// allowedCodecs are the only encodings an E2EE room negotiates.
var allowedCodecs = []string{"opus", "vp8", "vp9", "rtx"}

// redundancyAPI is a client stack that offers everything a browser might:
// RED for audio and video, ULPFEC, FlexFEC, H.264 and AV1 next to ours.
func redundancyAPI(t *testing.T) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	reg := func(kind webrtc.RTPCodecType, pt uint8, mime string, rate uint32, channels uint16, fmtp string) {
		c := webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: mime, ClockRate: rate, Channels: channels, SDPFmtpLine: fmtp}}
		if err := me.RegisterCodec(c, kind); err != nil {
			t.Fatalf("register %s: %v", mime, err)
		}
	}
	a, v := webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo
	reg(a, 63, "audio/red", 48000, 2, "111/111")
	reg(a, 111, webrtc.MimeTypeOpus, 48000, 2, "minptime=10;useinbandfec=1")
	reg(v, 116, "video/red", 90000, 0, "")
	reg(v, 96, webrtc.MimeTypeVP8, 90000, 0, "")
	reg(v, 97, webrtc.MimeTypeRTX, 90000, 0, "apt=96")
	reg(v, 117, webrtc.MimeTypeUlpFEC, 90000, 0, "")
	reg(v, 118, webrtc.MimeTypeFlexFEC03, 90000, 0, "repair-window=10000000")
	reg(v, 102, webrtc.MimeTypeH264, 90000, 0, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	reg(v, 45, webrtc.MimeTypeAV1, 90000, 0, "")
	reg(v, 98, webrtc.MimeTypeVP9, 90000, 0, "profile-id=0")
	return webrtc.NewAPI(webrtc.WithMediaEngine(me))
}

// sdpEncodings lists the lower-case encoding names of every rtpmap.
func sdpEncodings(t *testing.T, desc string) []string {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		t.Fatalf("parse sdp: %v", err)
	}
	var out []string
	for _, md := range d.MediaDescriptions {
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			_, rest, _ := strings.Cut(a.Value, " ")
			name, _, _ := strings.Cut(rest, "/")
			out = append(out, strings.ToLower(name))
		}
	}
	return out
}

// TestNoRedundancyNegotiated: whatever a client offers, our answers and
// our own offers carry only VP8, VP9, Opus and RTX.
func TestNoRedundancyNegotiated(t *testing.T) {
	s, url := newTestSFU(t, Config{})
	tests := []struct {
		name   string
		sdp    func(t *testing.T) (offer, answer string)
		offers []string // must be in the client offer (sanity)
	}{
		{"answer to a client offering red and fec", func(t *testing.T) (string, string) {
			return answerTo(t, url, redundancyAPI(t))
		}, []string{"red", "ulpfec", "flexfec-03", "h264", "av1"}},
		{"answer to a client with pion's defaults", func(t *testing.T) (string, string) {
			return answerTo(t, url, testAPI(t))
		}, []string{"h264", "av1"}},
		{"server offer", func(t *testing.T) (string, string) {
			pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
				if _, err := pc.AddTransceiverFromKind(k); err != nil {
					t.Fatal(err)
				}
			}
			offer, err := pc.CreateOffer(nil)
			if err != nil {
				t.Fatal(err)
			}
			return "", offer.SDP
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offer, answer := tc.sdp(t)
			offered := sdpEncodings(t, offer)
			for _, enc := range tc.offers {
				if !slices.Contains(offered, enc) {
					t.Fatalf("the client offer lacks %s: %v", enc, offered)
				}
			}
			got := sdpEncodings(t, answer)
			if len(got) == 0 {
				t.Fatal("no codecs at all")
			}
			for _, enc := range got {
				if !slices.Contains(allowedCodecs, enc) {
					t.Errorf("negotiated %s; only %v are allowed", enc, allowedCodecs)
				}
			}
			for _, want := range []string{"opus", "vp8"} {
				if !slices.Contains(got, want) {
					t.Errorf("%s missing from %v", want, got)
				}
			}
		})
	}
}

// answerTo joins a room with a client of api that publishes audio and
// video, checks that its offer carries red and fec, and returns the
// server's answer.
func answerTo(t *testing.T, url string, api *webrtc.API) (offer, answer string) {
	t.Helper()
	c := dialRaw(t, url)
	c.join("codecs", "ada")
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{
			Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(pc)
	offer = pc.LocalDescription().SDP
	b, _ := json.Marshal(map[string]any{"type": "offer", "sdp": offer})
	c.send(string(b))
	return offer, c.expect("answer", func(m serverMsg) bool { return m.Type == "answer" }).SDP
}
