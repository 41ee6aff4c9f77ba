package sfu

import (
	"sync/atomic"
	"time"
)

// Simulcast (docs/protocol.md, "Simulcast"): a camera arrives as up to
// three encodings of one track, RIDs q, h and f from the lowest resolution
// up. Each is a layer of the UpTrack; a subscriber's DownTrack forwards one
// of them at a time and changes layer only at a key frame.

// maxLayers is the number of simulcast encodings a track may have.
const maxLayers = 3

// layerIndex is the rank of a RID: 0 for the lowest resolution. A plain
// (not simulcast) track has one layer, index 0, with an empty RID. ok is
// false for a RID we do not know.
func layerIndex(rid string) (int, bool) {
	switch rid {
	case "", "q":
		return 0, true
	case "h":
		return 1, true
	case "f":
		return 2, true
	}
	return 0, false
}

// layerRIDs names the layers by index, for the layers message.
var layerRIDs = [maxLayers]string{"q", "h", "f"}

// defaultLayerRates are the bitrates assumed for a layer that has not been
// measured yet: the maxBitrate the protocol asks browsers to use.
var defaultLayerRates = [maxLayers]uint64{150_000, 500_000, 1_500_000}

// layer is one encoding of a published track: its own SSRC, its own packet
// cache for NACKs, its own key frames.
type layer struct {
	index int
	rid   string
	ssrc  uint32
	cache *packetCache
	kf    keyframeThrottle // guarded by the up-track's mu

	// Written by the layer's reader, read by anyone.
	width, height atomic.Uint32 // from the latest VP8 key frame; 0 unknown
	bytes         atomic.Uint64 // payload bytes received
	lastPacket    atomic.Int64  // monotonic ns (SFU clock) of the latest packet

	// Written by the publisher's goroutine (pause.go), read by anyone.
	rate        atomic.Uint64 // smoothed bits per second while sending; 0 unmeasured
	activatedAt atomic.Int64  // SFU clock of the layers message that resumed it
}

func newLayer(index int, rid string, ssrc uint32, cacheSize int, kfInterval time.Duration) *layer {
	return &layer{index: index, rid: rid, ssrc: ssrc, cache: newPacketCache(cacheSize),
		kf: keyframeThrottle{interval: kfInterval}}
}

// bitrate is the layer's measured rate, or the default of its rank.
func (l *layer) bitrate() uint64 {
	if r := l.rate.Load(); r > 0 {
		return r
	}
	return defaultLayerRates[l.index]
}

// rateMeter turns a layer's byte counter into a smoothed bitrate. It keeps
// the last rate while the layer is paused: what a paused layer will cost
// once resumed is what it cost before.
type rateMeter struct {
	lastBytes uint64
	lastAt    time.Duration
}

// update samples l at now and stores the smoothed rate.
func (m *rateMeter) update(l *layer, now time.Duration) {
	bytes := l.bytes.Load()
	if m.lastAt == 0 {
		m.lastBytes, m.lastAt = bytes, now
		return
	}
	elapsed := now - m.lastAt
	if elapsed < 100*time.Millisecond {
		return
	}
	delta := bytes - m.lastBytes
	m.lastBytes, m.lastAt = bytes, now
	if delta == 0 {
		return // paused or silent: keep what it cost
	}
	bps := delta * 8 * uint64(time.Second) / uint64(elapsed)
	old := l.rate.Load()
	if old == 0 {
		l.rate.Store(bps)
		return
	}
	// An average over about two seconds: key frames come in bursts.
	l.rate.Store((old*3 + bps) / 4)
}
