package sfu

import (
	"slices"
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
	ssrc          uint32
	codec         webrtc.RTPCodecParameters
	exts          []webrtc.RTPHeaderExtensionParameter
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
	cache *packetCache
	isKey keyframeFunc // nil for audio
	muted atomic.Bool
	// gated stops forwarding while a moderator's mute holds (until the
	// publisher unmutes the track itself).
	gated atomic.Bool
	done  chan struct{} // closed when the reader returns

	speech speechMeter // active speakers (speaker.go); the reader feeds it

	downs atomic.Pointer[[]*DownTrack]

	mu sync.Mutex // guards the copy-on-write writers of downs, and kf
	kf keyframeThrottle
}

func newUpTrack(p upTrackParams) *UpTrack {
	size := audioCacheSize
	if p.info.Kind == webrtc.RTPCodecTypeVideo.String() {
		size = videoCacheSize
	}
	u := &UpTrack{upTrackParams: p, cache: newPacketCache(size), isKey: keyframeDetector(p.codec.RTPCodecCapability),
		done: make(chan struct{}),
		kf:   keyframeThrottle{interval: p.keyframeInterval}}
	u.muted.Store(p.info.Muted)
	u.downs.Store(&[]*DownTrack{})
	return u
}

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

// requestKeyframe asks the publisher for a keyframe, at most once per
// keyframe interval however many subscribers ask (keyframe.go).
func (u *UpTrack) requestKeyframe() {
	if u.info.Kind != webrtc.RTPCodecTypeVideo.String() {
		return
	}
	u.metrics.keyframeRequests.Inc()
	u.mu.Lock()
	ok := u.kf.allow(u.now())
	u.mu.Unlock()
	if !ok {
		return
	}
	u.metrics.keyframeSent.Inc()
	// An error means the publisher's connection is closing; its track ends
	// with it, so there is nothing to retry.
	_ = u.writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: u.ssrc}})
}
