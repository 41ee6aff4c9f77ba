package sfu

import (
	"cmp"
	"slices"
	"time"
)

// Choosing the simulcast encoding each subscriber receives
// (docs/protocol.md, "Simulcast"). Every selectTick, and whenever it
// reports a tile size, a subscriber's goroutine fits its videos into its
// bandwidth estimate (bwe.go): each shown video gets its lowest encoding,
// then the largest tiles go up first, as far as their tile needs and the
// estimate allows. Down at once, up only after it has fitted for hold.

const (
	selectTick     = 500 * time.Millisecond
	upHold         = 2 * time.Second  // a higher encoding must fit this long
	upHoldMax      = 32 * time.Second // doubling after failed steps up
	failedUpWindow = 10 * time.Second // a step down this soon after a step up
	holdDecay      = time.Minute      // a stable minute resets the hold
	layerStale     = 2 * time.Second  // no packet this long: the encoder stopped it
	layerStartup   = 3 * time.Second  // time a resumed encoding gets to come back
	audioRate      = 50_000           // bits/s assumed per audio track before measuring
	// unknownTile is the width assumed for a video whose tile size the
	// client has not reported (yet: it reports once the track arrives,
	// which needs packets; or never, as bots).
	unknownTile = 640
)

// layerChoice is a down-track's history of changes, owned by the
// subscriber's goroutine.
type layerChoice struct {
	upSince time.Duration // a higher encoding fits since; 0: none does
	lastUp  time.Duration
	hold    time.Duration
}

// choose moves the down-track toward encoding i under the hysteresis rules.
func (t *DownTrack) choose(i int, now time.Duration) {
	s := &t.sel
	if s.hold == 0 {
		s.hold = upHold
	}
	tgt := int(t.target.Load())
	switch {
	case tgt < 0 || (t.cur.Load() < 0 && tgt != i):
		// Nothing is forwarded yet: start where it should be.
		s.upSince = 0
		t.setTarget(i)
	case i < tgt:
		if s.lastUp > 0 && now-s.lastUp < failedUpWindow {
			s.hold = min(2*s.hold, upHoldMax)
		}
		s.upSince = 0
		t.setTarget(i)
	case i > tgt:
		if s.upSince == 0 {
			s.upSince = now
		}
		if now-s.upSince >= s.hold {
			s.upSince, s.lastUp = 0, now
			t.setTarget(i)
		}
	default:
		s.upSince = 0
		if s.lastUp > 0 && now-s.lastUp > holdDecay {
			s.hold = upHold
		}
	}
}

// available reports whether encoding i can be chosen: it exists, and it
// is sending, paused by us (a subscriber asking for it resumes it), or was
// resumed too recently to tell. An encoding the publisher's encoder
// dropped (its own uplink is short) is not.
func (u *UpTrack) available(i int, now time.Duration) bool {
	l := u.layer(i)
	if l == nil {
		return false
	}
	if now-time.Duration(l.lastPacket.Load()) < layerStale || u.active.Load()&(1<<i) == 0 {
		return true
	}
	return now-time.Duration(l.activatedAt.Load()) < layerStartup
}

// lowest is the lowest available encoding, -1 if none is.
func (u *UpTrack) lowest(now time.Duration) int {
	for i := range maxLayers {
		if u.available(i, now) {
			return i
		}
	}
	return -1
}

// forWidth is the smallest available encoding at least width CSS pixels
// wide, or the largest available one. Widths come from key frames; before
// any, the encodings are taken as a quarter, half and full of 640.
func (u *UpTrack) forWidth(width int, now time.Duration) int {
	best := -1
	for i := range maxLayers {
		if !u.available(i, now) {
			continue
		}
		best = i
		w := int(u.layer(i).width.Load())
		if w == 0 {
			w = 640 >> (maxLayers - 1 - i)
		}
		if w >= width {
			return i
		}
	}
	return best
}

// rateOf is the bitrate of a track's encoding i, for fitting.
func rateOf(u *UpTrack, i int) int64 {
	l := u.layer(i)
	if l == nil {
		return 0
	}
	if u.info.Kind != "video" {
		if r := l.rate.Load(); r > 0 {
			return int64(r)
		}
		return audioRate
	}
	return int64(l.bitrate())
}

// wanted is one simulcast video a subscriber should receive.
type wanted struct {
	sub  *subscription
	up   *UpTrack
	max  int // the encoding its tile needs
	area int // tile area; 0 for an off-screen recent speaker
	pick int
}

// selectLayers fits this subscriber's videos into its estimate.
func (p *Participant) selectLayers(now time.Duration) {
	budget := int64(p.bwe.estimate())
	// The room's speakers, read (under its lock) only if a hidden simulcast
	// camera asks: most ticks of most participants need nothing of them.
	var recent []string
	read := false
	isRecent := func(id string) bool {
		if !read {
			recent, read = p.room.recentSpeakers(p.sfu.cfg.LastN), true
		}
		return slices.Contains(recent, id)
	}
	var want []wanted
	for u, sub := range p.subs {
		shown := sub.tileW != 0 && sub.tileH != 0
		tile := sub.tileW
		if tile < 0 {
			tile = unknownTile
		}
		switch {
		case u.info.Kind != "video":
			budget -= rateOf(u, 0)
		case !u.simulcast:
			if shown {
				budget -= rateOf(u, 0)
			}
		case shown:
			want = append(want, wanted{sub: sub, up: u, max: u.forWidth(tile, now), area: tile * tile})
		case u.info.Source == "camera" && isRecent(u.participantID):
			want = append(want, wanted{sub: sub, up: u, max: u.lowest(now)})
		default:
			sub.down.hide()
		}
	}
	slices.SortFunc(want, func(a, b wanted) int {
		return cmp.Or(cmp.Compare(b.area, a.area), cmp.Compare(a.up.info.TrackID, b.up.info.TrackID))
	})
	for i := range want {
		w := &want[i]
		w.pick = w.up.lowest(now)
		budget -= rateOf(w.up, w.pick)
	}
	for i := range want {
		w := &want[i]
		for l := w.pick + 1; l <= w.max; l++ {
			if !w.up.available(l, now) {
				continue
			}
			cost := rateOf(w.up, l) - rateOf(w.up, w.pick)
			if cost > budget {
				break
			}
			budget -= cost
			w.pick = l
		}
	}
	for _, w := range want {
		if w.pick >= 0 {
			w.sub.down.choose(w.pick, now)
		}
	}
}
