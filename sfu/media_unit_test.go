package sfu

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestKeyframeThrottle(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		at   []time.Duration
		want []bool
	}{
		{"first request goes", []time.Duration{0}, []bool{true}},
		{"burst collapses to one", []time.Duration{0, ms, 100 * ms, 499 * ms}, []bool{true, false, false, false}},
		{"after the interval another goes", []time.Duration{0, 500 * ms, 600 * ms, 1000 * ms}, []bool{true, true, false, true}},
		{"dropped requests do not extend the wait", []time.Duration{0, 400 * ms, 501 * ms}, []bool{true, false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := keyframeThrottle{interval: 500 * ms}
			for i, at := range tc.at {
				if got := k.allow(at); got != tc.want[i] {
					t.Errorf("request %d at %v: got %v, want %v", i, at, got, tc.want[i])
				}
			}
		})
	}
}

func TestPacketCache(t *testing.T) {
	c := newPacketCache(8)
	buf := make([]byte, maxPacketSize)
	for seq := uint16(65530); seq != 6; seq++ {
		c.store(seq, []byte{byte(seq), byte(seq >> 8), 0xaa})
	}
	tests := []struct {
		name string
		seq  uint16
		want []byte
	}{
		{"recent packet", 5, []byte{5, 0, 0xaa}},
		{"oldest kept, across the wrap", 65534, []byte{0xfe, 0xff, 0xaa}},
		{"overwritten", 65533, nil},
		{"never stored", 7, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := c.load(tc.seq, buf)
			if !bytes.Equal(buf[:n], tc.want) {
				t.Errorf("load(%d) = %x, want %x", tc.seq, buf[:n], tc.want)
			}
		})
	}
	c.store(9, make([]byte, maxPacketSize+1)) // too big: not cached
	if n := c.load(9, buf); n != 0 {
		t.Errorf("oversized packet cached (%d bytes)", n)
	}
	if n := newPacketCache(0).load(1, buf); n != 0 {
		t.Errorf("disabled cache returned %d bytes", n)
	}
}

func TestExtMap(t *testing.T) {
	up := []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 1}, {URI: absSendTimeURI, ID: 2},
		{URI: "urn:ietf:params:rtp-hdrext:sdes:mid", ID: 4}}
	tests := []struct {
		name    string
		down    []webrtc.RTPHeaderExtensionParameter
		wantID  uint8
		profile uint16
	}{
		{"same ID", []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 1}}, 1, rtp.ExtensionProfileOneByte},
		{"remapped ID", []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 9}}, 9, rtp.ExtensionProfileOneByte},
		{"two-byte ID", []webrtc.RTPHeaderExtensionParameter{{URI: audioLevelURI, ID: 20}}, 20, rtp.ExtensionProfileTwoByte},
		{"not negotiated downstream", []webrtc.RTPHeaderExtensionParameter{{URI: absSendTimeURI, ID: 1}}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newExtMap(up, tc.down)
			var src rtp.Header
			for _, e := range []struct {
				id uint8
				v  []byte
			}{{1, []byte{0x85}}, {2, []byte{1, 2, 3}}, {4, []byte("0")}} {
				if err := src.SetExtension(e.id, e.v); err != nil {
					t.Fatal(err)
				}
			}
			dst := rtp.Header{Extensions: make([]rtp.Extension, 0, 4)}
			m.apply(&dst, &src)
			ids := dst.GetExtensionIDs()
			if tc.wantID == 0 {
				if dst.Extension || len(ids) != 0 {
					t.Errorf("forwarded %v, want nothing", ids)
				}
				return
			}
			if len(ids) != 1 || ids[0] != tc.wantID || dst.ExtensionProfile != tc.profile {
				t.Errorf("got IDs %v profile %x, want [%d] profile %x", ids, dst.ExtensionProfile, tc.wantID, tc.profile)
			}
			if got := dst.GetExtension(tc.wantID); !bytes.Equal(got, []byte{0x85}) {
				t.Errorf("payload %x, want 85", got)
			}
			if _, err := dst.Marshal(); err != nil {
				t.Errorf("rewritten header does not marshal: %v", err)
			}
		})
	}
}

func TestRTPPayload(t *testing.T) {
	tests := []struct {
		name    string
		pkt     []byte
		want    []byte
		wantPad byte
		ok      bool
	}{
		{"no padding", []byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9}, []byte{9, 9}, 0, true},
		{"padding", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 0, 0, 3}, []byte{9}, 3, true},
		{"pad count zero", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 0}, nil, 0, false},
		{"pad count beyond payload", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 200}, nil, 0, false},
		{"padding bit, no payload", []byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2}, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h rtp.Header
			hl, err := h.Unmarshal(tc.pkt)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := rtpPayload(&h, tc.pkt, hl)
			if ok != tc.ok || !bytes.Equal(got, tc.want) || (ok && h.PaddingSize != tc.wantPad) {
				t.Errorf("got %x %v pad %d, want %x %v pad %d", got, ok, h.PaddingSize, tc.want, tc.ok, tc.wantPad)
			}
		})
	}
}

func TestMatchCodec(t *testing.T) {
	h264 := func(fmtp string, pt uint8) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt),
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp}}
	}
	rtx := func(apt string, pt uint8) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt),
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=" + apt}}
	}
	vp8 := webrtc.RTPCodecParameters{PayloadType: 120,
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "video/vp8", ClockRate: 90000}}
	negotiated := []webrtc.RTPCodecParameters{vp8, rtx("120", 121),
		h264("packetization-mode=0;profile-level-id=42e01f", 102),
		h264("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 108), rtx("108", 109)}
	tests := []struct {
		name   string
		up     webrtc.RTPCodecCapability
		wantPT uint8
		rtxPT  uint8
		ok     bool
	}{
		{"VP8, case-insensitive, with RTX", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, 120, 121, true},
		{"H.264 same profile and mode, other level", h264("packetization-mode=1;profile-level-id=42e034", 0).RTPCodecCapability, 108, 109, true},
		{"H.264 mode 0", h264("profile-level-id=42e01f", 0).RTPCodecCapability, 102, 0, true},
		{"H.264 other profile", h264("packetization-mode=1;profile-level-id=640032", 0).RTPCodecCapability, 0, 0, false},
		{"VP9 not negotiated", webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, rtxPT, ok := matchCodec(tc.up, negotiated)
			if ok != tc.ok || uint8(c.PayloadType) != tc.wantPT || rtxPT != tc.rtxPT {
				t.Errorf("got PT %d RTX %d ok %v, want %d %d %v", c.PayloadType, rtxPT, ok, tc.wantPT, tc.rtxPT, tc.ok)
			}
		})
	}
}
