package sfu

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TrackInfo describes a published track as participants and the admin
// panel see it. It is also the "track" object of docs/protocol.md.
type TrackInfo struct {
	TrackID string `json:"trackId"`
	Kind    string `json:"kind"`   // audio or video
	Source  string `json:"source"` // microphone, camera, screen or screen-audio
	Muted   bool   `json:"muted"`
}

// Cache sizes in packets. Video is NACKed; at 2.5 Mbit/s 512 packets hold
// about two seconds. Audio negotiates no NACK, so it keeps no cache.
const (
	videoCacheSize = 512
	audioCacheSize = 0
)

// upTrackParams is what a publisher's session knows about a new track.
type upTrackParams struct {
	participantID string
	info          TrackInfo
	// rid and ssrc are the first encoding's (the only one of a plain
	// track); further simulcast encodings come with addLayer.
	rid   string
	ssrc  uint32
	codec webrtc.RTPCodecParameters
	exts  []webrtc.RTPHeaderExtensionParameter
	// writeRTCP sends RTCP to the publisher (PeerConnection.WriteRTCP).
	writeRTCP        func([]rtcp.Packet) error
	now              func() time.Duration
	keyframeInterval time.Duration
	metrics          *metrics
	// bytesIn counts the payload bytes received, for the publisher's
	// dashboard entry (nil: not counted).
	bytesIn *atomic.Uint64
	// batch sends each packet's copies together (batch.go); nil sends
	// them one by one.
	batch *batchConn
}

// UpTrack is media a participant publishes to us. Its reader goroutine
// (forward.go) owns the read side; subscribers attach DownTracks, which the
// reader sees through a copy-on-write snapshot. Methods are safe for
// concurrent use.
type UpTrack struct {
	upTrackParams
	// layers holds the encodings by index (layer.go); a plain track has
	// only layers[0]. Set by the publisher's goroutine, read by anyone.
	layers    [maxLayers]atomic.Pointer[layer]
	simulcast bool // published with RIDs: subscribers choose a layer
	cacheSize int
	isKey     keyframeFunc // nil for audio
	vp8       bool         // VP8: key frames tell their size
	audio     bool         // one encoding, whose reader measures speech
	muted     atomic.Bool
	// gated stops forwarding while a moderator's mute holds (until the
	// publisher unmutes the track itself).
	gated    atomic.Bool
	done     chan struct{} // closed when the first reader returns
	doneOnce sync.Once
	// sel is the publisher-side state of simulcast (allocate.go), owned by
	// the publisher's goroutine; active mirrors sel's layer mask for others.
	sel    publisherLayers
	active atomic.Uint32

	speech speechMeter // active speakers (speaker.go); the reader feeds it

	downs atomic.Pointer[[]*DownTrack]

	mu sync.Mutex // guards the copy-on-write writers of downs, and the layers' kf
}

func newUpTrack(p upTrackParams) *UpTrack {
	size := audioCacheSize
	if p.info.Kind == webrtc.RTPCodecTypeVideo.String() {
		size = videoCacheSize
	}
	u := &UpTrack{upTrackParams: p, cacheSize: size, isKey: keyframeDetector(p.codec.RTPCodecCapability),
		simulcast: p.rid != "", audio: p.info.Kind == webrtc.RTPCodecTypeAudio.String(), vp8: strings.EqualFold(p.codec.MimeType, webrtc.MimeTypeVP8),
		done: make(chan struct{})}
	i, _ := layerIndex(p.rid)
	if p.rid != "" {
		size = layerCacheSize(size, i)
	}
	u.layers[i].Store(newLayer(i, p.rid, p.ssrc, size, p.keyframeInterval))
	u.active.Store(1<<maxLayers - 1) // every encoding sends until told otherwise
	u.muted.Store(p.info.Muted)
	u.downs.Store(&[]*DownTrack{})
	return u
}

// addLayer adds a simulcast encoding that arrived after the first. It
// returns nil for an unknown RID or one the track already has.
func (u *UpTrack) addLayer(rid string, ssrc uint32) *layer {
	i, ok := layerIndex(rid)
	if !ok || !u.simulcast || rid == "" {
		return nil
	}
	l := newLayer(i, rid, ssrc, layerCacheSize(u.cacheSize, i), u.keyframeInterval)
	if !u.layers[i].CompareAndSwap(nil, l) {
		return nil
	}
	return l
}

// layerCacheSize is the cache of a simulcast encoding: half a plain
// video's for the top one (its maxBitrate, 1.5 Mbit/s, is about 150
// packets a second, so 256 slots hold 1.7 s, several round trips) and
// half again per encoding below, which sends fewer packets. A class of 30
// simulcast cameras kept 43 MB of caches with a plain video's size on top.
func layerCacheSize(size, i int) int { return size >> (maxLayers - i) }

// layer returns the encoding at index i, nil if the track has none there.
func (u *UpTrack) layer(i int) *layer {
	if i < 0 || i >= maxLayers {
		return nil
	}
	return u.layers[i].Load()
}

// layerBySSRC returns the encoding sent with ssrc, nil if none.
func (u *UpTrack) layerBySSRC(ssrc uint32) *layer {
	for i := range u.layers {
		if l := u.layers[i].Load(); l != nil && l.ssrc == ssrc {
			return l
		}
	}
	return nil
}

// end marks the track ended: its first reader returned.
func (u *UpTrack) end() { u.doneOnce.Do(func() { close(u.done) }) }

// Info returns the track's public description.
func (u *UpTrack) Info() TrackInfo {
	info := u.info
	info.Muted = u.muted.Load()
	return info
}

// ParticipantID is the publisher's ID.
func (u *UpTrack) ParticipantID() string { return u.participantID }

// Done is closed when the track has ended (its reader returned).
func (u *UpTrack) Done() <-chan struct{} { return u.done }

// addDown attaches a subscriber; the reader writes to it from the next
// packet on.
func (u *UpTrack) addDown(d *DownTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.downs.Load()
	if slices.Contains(old, d) {
		return
	}
	next := append(slices.Clip(old), d)
	u.downs.Store(&next)
}

// removeDown detaches a subscriber.
func (u *UpTrack) removeDown(d *DownTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.downs.Load()
	i := slices.Index(old, d)
	if i < 0 {
		return
	}
	next := slices.Delete(slices.Clone(old), i, i+1)
	u.downs.Store(&next)
}

// requestKeyframe asks the publisher for a keyframe of the encoding at
// index i (the only one of a plain track), at most once per keyframe
// interval however many subscribers ask (keyframe.go).
func (u *UpTrack) requestKeyframe(i int) {
	if u.info.Kind != webrtc.RTPCodecTypeVideo.String() {
		return
	}
	l := u.layer(i)
	if l == nil {
		return
	}
	u.metrics.keyframeRequests.Inc()
	u.mu.Lock()
	ok := l.kf.allow(u.now())
	u.mu.Unlock()
	if !ok {
		return
	}
	u.metrics.keyframeSent.Inc()
	// An error means the publisher's connection is closing; its track ends
	// with it, so there is nothing to retry.
	_ = u.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}
