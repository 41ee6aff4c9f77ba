package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// Connection facts for the live dashboard (SFU.Rooms). Everything here is
// updated with atomics on the media path or by pion callbacks, and read
// under the room's lock without blocking on anything else.

// traffic counts the RTP bytes of one participant, both ways. The
// up-track reader adds to in, the down-track writers to out.
type traffic struct {
	in, out atomic.Uint64

	mu      sync.Mutex // guards the sample
	at      time.Time  // when in/out were last sampled
	lastIn  uint64
	lastOut uint64
	rateIn  int64 // bits per second over the last sample window
	rateOut int64
}

// minRateWindow is the shortest window a rate is averaged over, so that
// dashboards polling often get steady numbers.
const minRateWindow = time.Second

// rates returns the bitrates, sampling the counters again when the last
// sample is at least minRateWindow old. The first call only starts a
// window.
func (t *traffic) rates(now time.Time) (in, out int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	dt := now.Sub(t.at)
	if dt < minRateWindow {
		return t.rateIn, t.rateOut
	}
	curIn, curOut := t.in.Load(), t.out.Load()
	if !t.at.IsZero() {
		t.rateIn = int64(float64(curIn-t.lastIn) * 8 / dt.Seconds())
		t.rateOut = int64(float64(curOut-t.lastOut) * 8 / dt.Seconds())
	}
	t.at, t.lastIn, t.lastOut = now, curIn, curOut
	return t.rateIn, t.rateOut
}

// relayedPair reports whether an ICE candidate pair goes through a TURN
// relay on either side.
func relayedPair(pair *webrtc.ICECandidatePair) bool {
	if pair == nil || pair.Local == nil || pair.Remote == nil {
		return false
	}
	return pair.Local.Typ == webrtc.ICECandidateTypeRelay || pair.Remote.Typ == webrtc.ICECandidateTypeRelay
}

// watchICE records in p.relayed whether the selected pair is relayed.
// pion calls the handler on its own goroutine; it only stores a bool.
func (p *Participant) watchICE() {
	p.pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(pair *webrtc.ICECandidatePair) {
		p.relayed.Store(relayedPair(pair))
	})
}

// status is p's dashboard entry; info is its participant object.
func (p *Participant) status(info ParticipantInfo, now time.Time) ParticipantStatus {
	in, out := p.traffic.rates(now)
	return ParticipantStatus{ParticipantInfo: info, JoinedAt: p.joinedAt, Relayed: p.relayed.Load(),
		BitrateIn: in, BitrateOut: out}
}

// role is the participant's role name.
func (p *Participant) role() string {
	if p.moderator {
		return RoleModerator
	}
	return RoleParticipant
}
