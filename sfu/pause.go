package sfu

import "time"

// Pausing the encodings nobody receives (docs/protocol.md, "Simulcast"):
// each tick the publisher's goroutine works out which of its simulcast
// encodings some subscriber forwards or waits for, and tells the client in
// a layers message: at once when one is wanted again, after pauseAfter
// when one is not (a subscriber flapping between two tiles should not
// restart an encoder each time).

const pauseAfter = 2 * time.Second

// publisherLayers is the publisher-side state of one up-track, owned by the
// publisher's goroutine.
type publisherLayers struct {
	rates        [maxLayers]rateMeter
	sent         uint32 // the mask last told to the client
	told         bool   // a layers message went out
	pendingSince time.Duration
}

type layersOut struct {
	Type    string   `json:"type"`
	TrackID string   `json:"trackId"`
	Active  []string `json:"active"`
}

// tendLayers measures the track's encodings and sends layers when the
// wanted set changed.
func (p *Participant) tendLayers(u *UpTrack, now time.Duration) {
	s := &u.sel
	for i := range maxLayers {
		if l := u.layer(i); l != nil {
			s.rates[i].update(l, now)
		}
	}
	if !u.simulcast {
		return
	}
	if !s.told {
		s.sent = 1<<maxLayers - 1
	}
	var want uint32
	for i := range maxLayers {
		if u.layer(i) == nil {
			want |= 1 << i // not seen yet: let it come
		}
	}
	for _, d := range *u.downs.Load() {
		if c := d.cur.Load(); c >= 0 {
			want |= 1 << c
		}
		if t := d.target.Load(); t >= 0 {
			want |= 1 << t
		}
	}
	if want == s.sent {
		s.pendingSince = 0
		return
	}
	if want&^s.sent == 0 { // only pauses: wait until they have held
		if s.pendingSince == 0 {
			s.pendingSince = now
		}
		if now-s.pendingSince < pauseAfter {
			return
		}
	}
	for i := range maxLayers {
		if want&^s.sent&(1<<i) != 0 {
			if l := u.layer(i); l != nil {
				l.activatedAt.Store(int64(now))
			}
		}
	}
	s.sent, s.told, s.pendingSince = want, true, 0
	u.active.Store(want)
	active := make([]string, 0, maxLayers)
	for i, rid := range layerRIDs {
		if want&(1<<i) != 0 {
			active = append(active, rid)
		}
	}
	p.sfu.metrics.layersMessages.Inc()
	p.send(encode(layersOut{Type: "layers", TrackID: u.info.TrackID, Active: active}))
}
