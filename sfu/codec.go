package sfu

import (
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
)

// matchCodec finds, among the codecs a subscriber negotiated, the one that
// carries the publisher's codec unchanged, and the payload type of its RTX
// codec (0 when RTX was not negotiated). We never substitute a codec: the
// payload is end-to-end encrypted and passes through as is.
func matchCodec(up webrtc.RTPCodecCapability, negotiated []webrtc.RTPCodecParameters) (
	codec webrtc.RTPCodecParameters, rtxPT uint8, ok bool,
) {
	for _, c := range negotiated {
		if sameCodec(up, c.RTPCodecCapability) {
			return c, rtxPayloadType(uint8(c.PayloadType), negotiated), true
		}
	}
	return webrtc.RTPCodecParameters{}, 0, false
}

// sameCodec compares what decides whether a decoder can read the stream:
// MIME type and clock rate; for H.264 the packetization mode and the profile
// (not the level); for VP9 the profile.
func sameCodec(a, b webrtc.RTPCodecCapability) bool {
	if !strings.EqualFold(a.MimeType, b.MimeType) || a.ClockRate != b.ClockRate {
		return false
	}
	fa, fb := parseFmtp(a.SDPFmtpLine), parseFmtp(b.SDPFmtpLine)
	switch strings.ToLower(a.MimeType) {
	case strings.ToLower(webrtc.MimeTypeH264):
		pa, pb := fa["profile-level-id"], fb["profile-level-id"]
		return orDefault(fa["packetization-mode"], "0") == orDefault(fb["packetization-mode"], "0") &&
			len(pa) >= 4 && len(pb) >= 4 && strings.EqualFold(pa[:4], pb[:4])
	case strings.ToLower(webrtc.MimeTypeVP9):
		return orDefault(fa["profile-id"], "0") == orDefault(fb["profile-id"], "0")
	}
	return true
}

// rtxPayloadType is the payload type of the RTX codec whose apt is pt.
func rtxPayloadType(pt uint8, codecs []webrtc.RTPCodecParameters) uint8 {
	apt := strconv.Itoa(int(pt))
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) && parseFmtp(c.SDPFmtpLine)["apt"] == apt {
			return uint8(c.PayloadType)
		}
	}
	return 0
}

// parseFmtp splits an a=fmtp parameter list ("k=v;k=v") into lower-case
// keys and their values.
func parseFmtp(line string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(line, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k != "" {
			out[strings.ToLower(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
