package sfu

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Active speakers (docs/protocol.md, speakers). Each microphone track
// measures its speech from the RFC 6464 audio level header extension on
// its reader goroutine (observeSpeech: no allocation, no lock); a room
// with microphones runs one speaker loop that reads the tracks' state every
// speakersTick and tells the room when who speaks changed.

// Tuning. Loudness is 127 minus the RFC 6464 level (-dBov), so 0 is
// silence and 127 full scale; speech sits around 80-110.
const (
	speechTau        = 300 * time.Millisecond // time constant of the smoothed loudness
	speechOn         = 127 - 50               // speaking above -50 dBov...
	speechOff        = 127 - 55               // ...silent below -55 dBov (hysteresis)
	speechStartAfter = 200 * time.Millisecond // above speechOn this long to start speaking
	speechStopAfter  = 500 * time.Millisecond // below speechOff this long to stop
	speechStale      = 500 * time.Millisecond // no packet this long: silent (DTX, muted)
	seenEvery        = 50 * time.Millisecond  // how often a packet's time is published
	dominantAfter    = time.Second            // speech this long makes the dominant speaker
	speakersTick     = 100 * time.Millisecond // the room loop's period
	speakersMinGap   = 300 * time.Millisecond // at most one speakers message per gap
)

// speechMeter is one up-track's speech detector. The reader goroutine owns
// all but the two atomics, which the room's speaker loop reads.
type speechMeter struct {
	ready     bool
	extID     uint8   // the audio level's extension ID; 0: not measured
	vad       bool    // the publisher sets the V bit, so a clear one means silence
	loud      float32 // smoothed loudness
	last      time.Duration
	on        bool // speaking, as last decided
	pending   bool // loudness is on the other side of the threshold...
	pendingAt time.Duration
	seenAt    time.Duration

	seen  atomic.Int64 // time (SFU clock) of a recent packet, at most seenEvery old
	since atomic.Int64 // when the current speech started; 0 while silent
}

// observeSpeech is the media path's hook for active speakers: the reader
// of every up-track calls it once per packet it forwards, with the parsed
// header and the SFU clock. It only reads the header (the audio level
// extension), never the payload. It returns at once for video and for
// audio without the extension; otherwise it costs a smoothing step and,
// every seenEvery or on a change of state, one atomic store. It never
// allocates, locks or blocks, and must only be called from the track's
// reader goroutine. Packets a moderator holds are not passed to it: who is
// not heard is not speaking.
func (u *UpTrack) observeSpeech(h *rtp.Header, now time.Duration) {
	m := &u.speech
	if !m.ready {
		m.setup(u)
	}
	if m.extID == 0 {
		return
	}
	var loud float32
	if b := h.GetExtension(m.extID); len(b) > 0 {
		voice := b[0]&0x80 != 0
		m.vad = m.vad || voice
		if voice || !m.vad {
			loud = float32(127 - b[0]&0x7f)
		}
	}
	dt := min(max(now-m.last, 0), speechTau)
	m.last = now
	m.loud += float32(dt) / float32(speechTau+dt) * (loud - m.loud)
	m.step(now)
	if now-m.seenAt >= seenEvery {
		m.seenAt = now
		m.seen.Store(int64(now))
	}
}

// setup finds the extension ID, for microphone tracks only (screen audio
// does not make a speaker).
func (m *speechMeter) setup(u *UpTrack) {
	m.ready = true
	if u.info.Source != "microphone" {
		return
	}
	for _, e := range u.exts {
		if e.URI == audioLevelURI && e.ID > 0 && e.ID < 256 {
			m.extID = uint8(e.ID)
		}
	}
}

// step decides whether the track speaks: the smoothed loudness must stay
// on the other side of its threshold for a while to change the state.
func (m *speechMeter) step(now time.Duration) {
	want := m.on
	if m.loud >= speechOn {
		want = true
	} else if m.loud < speechOff {
		want = false
	}
	if want == m.on {
		m.pending = false
		return
	}
	if !m.pending {
		m.pending, m.pendingAt = true, now
	}
	wait := speechStartAfter
	if m.on {
		wait = speechStopAfter
	}
	if now-m.pendingAt < wait {
		return
	}
	m.on, m.pending = want, false
	if want {
		m.since.Store(int64(max(m.pendingAt, 1)))
	} else {
		m.since.Store(0)
	}
}

// speaking reports when the track's current speech started, if it is
// speaking now: not held, not muted, and a packet seen lately.
func (u *UpTrack) speaking(now time.Duration) (since time.Duration, ok bool) {
	s := time.Duration(u.speech.since.Load())
	seen := time.Duration(u.speech.seen.Load())
	if s == 0 || now-seen > speechStale || u.muted.Load() || u.gated.Load() {
		return 0, false
	}
	return s, true
}

// speakerState is what a room last told about its speakers. Guarded by
// the room's lock.
type speakerState struct {
	running  bool // the speaker loop runs
	active   []string
	dominant string
	sentAt   time.Duration
	recent   []string // who was dominant, the latest first (last-N), at most maxRecent
}

// maxRecent bounds the speakers remembered for last-N.
const maxRecent = 16

// recentSpeakers returns the IDs of the last n members to be the
// dominant speaker, the latest first; none for n <= 0.
func (r *Room) recentSpeakers(n int) []string {
	if n <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, n)
	for _, id := range r.speakers.recent {
		if len(out) == n {
			break
		}
		if r.members[id] != nil {
			out = append(out, id)
		}
	}
	return out
}

// noteRecentLocked moves a dominant speaker to the front of the recent
// list. Only someone who spoke for dominantAfter counts: a cough or a
// crowd of short remarks would otherwise change the list every tick, and
// each change costs a key frame.
func (st *speakerState) noteRecentLocked(id string) {
	if len(st.recent) > 0 && st.recent[0] == id {
		return
	}
	if j := slices.Index(st.recent, id); j >= 0 {
		st.recent = slices.Delete(st.recent, j, j+1)
	}
	st.recent = slices.Insert(st.recent, 0, id)
	if len(st.recent) > maxRecent {
		st.recent = st.recent[:maxRecent]
	}
}

// speakersLocked is the speakers message for a joiner, as the room last
// told it, nil when nobody speaks and there is no dominant speaker.
func (r *Room) speakersLocked() *speakersOut {
	st := r.speakers
	if r.members[st.dominant] == nil {
		st.dominant = "" // left while the loop was stopped
	}
	if len(st.active) == 0 && st.dominant == "" {
		return nil
	}
	return &speakersOut{Type: "speakers", Active: slices.Clone(st.active), Dominant: st.dominant}
}

// startSpeakersLocked starts the room's speaker loop if it is not
// running. Callers hold r.mu and run on a participant goroutine, which
// s.wg counts, so the Add cannot race Close's Wait.
func (r *Room) startSpeakersLocked(s *SFU) {
	if r.speakers.running {
		return
	}
	r.speakers.running = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		r.speakerLoop(s)
	}()
}

// speakerLoop evaluates the room's speakers every speakersTick until the
// room has no microphone left (and has said that nobody speaks), or the
// SFU closes.
func (r *Room) speakerLoop(s *SFU) {
	t := time.NewTicker(speakersTick)
	defer t.Stop()
	for {
		select {
		case <-s.shutdown:
			return
		case <-t.C:
		}
		msg, members, stop := r.evalSpeakers(s.now())
		if msg != nil {
			tell(members, msg)
		}
		if stop {
			return
		}
	}
}

// evalSpeakers works out who speaks now and returns the message for the
// members when that changed and the last message is speakersMinGap old.
// stop is true (and the loop marked stopped) when no microphone is left
// and the last message said that nobody speaks.
func (r *Room) evalSpeakers(now time.Duration) (msg []byte, members []*Participant, stop bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	type speaker struct {
		id    string
		since time.Duration
	}
	var found []speaker
	mics := 0
	for id, tracks := range r.published {
		var latest time.Duration
		for _, u := range tracks {
			if u.info.Source != "microphone" {
				continue
			}
			mics++
			if since, ok := u.speaking(now); ok {
				latest = max(latest, since)
			}
		}
		if latest > 0 {
			found = append(found, speaker{id, latest})
		}
	}
	slices.SortFunc(found, func(a, b speaker) int {
		return cmp.Or(cmp.Compare(b.since, a.since), cmp.Compare(a.id, b.id))
	})
	st := &r.speakers
	active, dominant := make([]string, 0, len(found)), st.dominant
	for _, f := range found {
		active = append(active, f.id)
	}
	if i := slices.IndexFunc(found, func(f speaker) bool { return now-f.since >= dominantAfter }); i >= 0 {
		dominant = found[i].id
		st.noteRecentLocked(dominant)
	}
	if r.members[dominant] == nil {
		dominant = ""
	}
	if (!slices.Equal(active, st.active) || dominant != st.dominant) && now-st.sentAt >= speakersMinGap {
		st.active, st.dominant, st.sentAt = active, dominant, now
		msg = encode(speakersOut{Type: "speakers", Active: active, Dominant: dominant})
		members = r.allMembersLocked()
	}
	if mics == 0 && len(st.active) == 0 {
		st.running = false
		return msg, members, true
	}
	return msg, members, false
}
