package sfu

import (
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// endToEnd reports whether a header extension carries what the publisher
// set and is still true at the subscriber, so it is forwarded (with its ID
// remapped). The rest are hop by hop: mid, rid and rrid name streams of one
// transport; transport-cc is rewritten by our TWCC interceptor; abs-send-time
// would be stale. Unknown extensions are dropped.
func endToEnd(uri string) bool {
	switch uri {
	case audioLevelURI:
		return true
	}
	return false
}

// maxForwardedExtensions bounds extMap; it is the number of URIs endToEnd
// accepts, with room for the dependency descriptor of issue #8.
const maxForwardedExtensions = 4

// extMap rewrites the header extensions of a publisher's packet for one
// subscriber: each PeerConnection negotiates its own extension IDs, so the
// same URI can have different IDs on the two legs. A plain value built once
// per down-track binding; apply never allocates once dst has capacity.
type extMap struct {
	pairs [maxForwardedExtensions]struct{ up, down uint8 }
	n     int
}

// newExtMap pairs the IDs of the end-to-end extensions negotiated on both
// legs.
func newExtMap(up, down []webrtc.RTPHeaderExtensionParameter) extMap {
	var m extMap
	for _, u := range up {
		if !endToEnd(u.URI) || u.ID <= 0 || u.ID > 255 {
			continue
		}
		for _, d := range down {
			if d.URI == u.URI && d.ID > 0 && d.ID <= 255 && m.n < len(m.pairs) {
				m.pairs[m.n].up, m.pairs[m.n].down = uint8(u.ID), uint8(d.ID)
				m.n++
			}
		}
	}
	return m
}

// apply sets dst's extensions to the forwarded ones of src, with their
// subscriber IDs. An extension that cannot be expressed (an ID or size the
// chosen profile cannot hold) is dropped.
func (m *extMap) apply(dst, src *rtp.Header) {
	dst.Extensions = dst.Extensions[:0]
	dst.Extension, dst.ExtensionProfile = false, 0
	if !src.Extension {
		return
	}
	for i := range m.n {
		p := m.pairs[i]
		payload := src.GetExtension(p.up)
		if payload == nil {
			continue
		}
		profile := uint16(rtp.ExtensionProfileOneByte)
		if p.down > 14 || len(payload) > 16 {
			profile = rtp.ExtensionProfileTwoByte
		}
		if !dst.Extension {
			// SetExtension would pick the profile from the size alone.
			dst.Extension, dst.ExtensionProfile = true, profile
		}
		_ = dst.SetExtensionWithProfile(p.down, payload, profile)
	}
	if len(dst.Extensions) == 0 {
		dst.Extension, dst.ExtensionProfile = false, 0
	}
}

// twccExtID is the ID the subscriber's leg negotiated for transport-cc, 0
// when it did not.
func twccExtID(exts []webrtc.RTPHeaderExtensionParameter) uint8 {
	for _, e := range exts {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID <= 255 {
			return uint8(e.ID)
		}
	}
	return 0
}
