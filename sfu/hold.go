package sfu

import "github.com/pion/webrtc/v4"

// School mode on a participant's own goroutine (school.go has the room's
// side): the gates on its microphone tracks, and the refusals of what a
// held participant may not do. Each runs from the participant's event loop
// (events.go) and reads the room's state under its lock.

// holdEvent makes a participant align its microphone gates with its
// hold; notify also mutes (as a moderator's mute does) the microphones it
// holds that were unmuted.
type holdEvent struct{ notify bool }

// revokeUnmute holds p again (a moderator muted it in school mode).
func (p *Participant) revokeUnmute() {
	r := p.room
	r.mu.Lock()
	changed := r.state.SchoolMode && !p.moderator && p.mayUnmute
	p.mayUnmute = false
	info, members := r.infoLocked(p), r.allMembersLocked()
	r.mu.Unlock()
	if changed {
		tell(members, encode(participantOut{Type: "participant-updated", Participant: info}))
	}
}

// syncHold gates p's microphones while it is held and lifts the gates
// when it is not (ev follows a change of the hold).
func (p *Participant) syncHold(ev holdEvent) {
	held := p.room.held(p)
	told := false
	for id, u := range p.published {
		if u.info.Source != "microphone" {
			continue
		}
		u.gated.Store(held)
		if held && ev.notify && !u.muted.Load() {
			u.muted.Store(true)
			p.room.broadcast(p, encode(muteOut{Type: "mute", ParticipantID: p.id, TrackID: id, Muted: true}))
			told = true
		}
	}
	if told {
		p.send(encode(typeOut{Type: "muted-by-moderator"}))
	}
}

// holdNewTracks gates the microphones of a held participant; it runs
// right after a track is published. No subscriber can be attached yet:
// that takes a negotiation round trip with another client, while this runs
// in the same event as the publication.
func (p *Participant) holdNewTracks() {
	if p.room.held(p) {
		for _, u := range p.published {
			if u.info.Source == "microphone" {
				u.gated.Store(true)
			}
		}
	}
}

// refuseUnmute answers a held participant's unmute of its microphone with
// not-allowed; it reports whether it did.
func (p *Participant) refuseUnmute(m muteMsg) bool {
	source := p.announced[m.TrackID].Source
	if u := p.published[m.TrackID]; u != nil {
		source = u.info.Source
	}
	if m.Muted || source != "microphone" || !p.room.held(p) {
		return false
	}
	p.sendError(clientErr(ErrNotAllowed, "a moderator must allow you to unmute"))
	return true
}

// maxRefused bounds the refused screen tracks a participant remembers.
const maxRefused = 16

// refusePublish answers a screen share that school mode does not allow
// with not-allowed and remembers its track ID, so that the track is not
// published when it arrives; it reports whether it refused.
func (p *Participant) refusePublish(m publishMsg) bool {
	if m.Source != "screen" && m.Source != "screen-audio" {
		return false
	}
	r := p.room
	r.mu.Lock()
	ok := r.canShareLocked(p)
	r.mu.Unlock()
	if ok {
		delete(p.refused, m.TrackID)
		return false
	}
	if len(p.refused) >= maxRefused {
		clear(p.refused)
	}
	p.refused[m.TrackID] = true
	p.sendError(clientErr(ErrNotAllowed, "a moderator must allow you to share your screen"))
	return true
}

// refusedTrack reports whether a track that arrived is one whose publish
// school mode refused: it is then neither read nor published (pion drops
// what nobody reads).
func (p *Participant) refusedTrack(remote *webrtc.TrackRemote) bool {
	if !p.refused[remote.ID()] {
		return false
	}
	p.logger.Debug("screen track refused in school mode", "track", remote.ID())
	return true
}
