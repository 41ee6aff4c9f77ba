package sfu

import (
	"errors"
	"fmt"
	"slices"
)

// The room's state (docs/protocol.md): the lock, which sends new
// non-moderator joins to the lobby, and school mode, in which a
// non-moderator's microphone is held (not forwarded) and its screen share
// refused until a moderator allows them. The state and each participant's
// role and allowances live under the room's lock; the gates on a
// participant's tracks are set by its own goroutine (holdEvent).

// errRoomLocked sends a join that raced with a lock to the lobby.
var errRoomLocked = errors.New("sfu: room locked")

// open sets the room's state from the first grant that reaches it.
func (r *Room) open(g Grant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.opened {
		r.opened, r.state.SchoolMode = true, g.SchoolMode
	}
}

// roomState is the state of the open room called name (zero if none).
func (s *SFU) roomState(name string) RoomState {
	r := s.room(name)
	if r == nil {
		return RoomState{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *Room) canUnmuteLocked(p *Participant) bool {
	return p.moderator || !r.state.SchoolMode || p.mayUnmute
}

func (r *Room) canShareLocked(p *Participant) bool {
	return p.moderator || !r.state.SchoolMode || p.mayShare
}

// held reports whether p's microphone is held.
func (r *Room) held(p *Participant) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.canUnmuteLocked(p)
}

// isModerator reports p's current role.
func (r *Room) isModerator(p *Participant) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return p.moderator
}

// LockRoom locks or unlocks room. While it is locked every new
// non-moderator join waits in the lobby. Unlocking admits the joins that
// waited only because of the lock (their Grant asked for no lobby). Every
// member is told (room-updated) when the state changes.
func (s *SFU) LockRoom(room string, locked bool) error {
	r := s.room(room)
	if r == nil {
		return fmt.Errorf("lock room %s: %w", room, ErrRoomNotFound)
	}
	r.mu.Lock()
	changed := r.state.Locked != locked
	r.state.Locked = locked
	st, members := r.state, r.allMembersLocked()
	var release []*knocker
	for _, k := range r.knockers {
		if changed && !locked && k.byLock {
			release = append(release, k)
		}
	}
	r.mu.Unlock()
	if !changed {
		return nil
	}
	tell(members, encode(roomUpdatedOut{Type: "room-updated", Room: st}))
	slices.SortFunc(release, func(a, b *knocker) int { return a.since.Compare(b.since) })
	for _, k := range release {
		_ = s.decide(room, k.id, nil) // decided or gone meanwhile: nothing to do
	}
	s.logger.Info("room lock", "room", room, "locked", locked, "released", len(release))
	return nil
}

// SetSchoolMode turns room's school mode on or off. Either way what
// moderators allowed is forgotten: on, every non-moderator is held and
// may not share its screen (an unmuted microphone is muted as by
// MuteParticipant); off, every hold is lifted.
func (s *SFU) SetSchoolMode(room string, on bool) error {
	r := s.room(room)
	if r == nil {
		return fmt.Errorf("school mode in %s: %w", room, ErrRoomNotFound)
	}
	r.mu.Lock()
	if r.state.SchoolMode == on {
		r.mu.Unlock()
		return nil
	}
	type perms struct{ unmute, share bool }
	before := map[*Participant]perms{}
	for _, m := range r.members {
		before[m] = perms{r.canUnmuteLocked(m), r.canShareLocked(m)}
		m.mayUnmute, m.mayShare = false, false
	}
	r.state.SchoolMode = on
	st, members := r.state, r.allMembersLocked()
	var updated [][]byte
	var affected []*Participant
	for m, b := range before {
		if b != (perms{r.canUnmuteLocked(m), r.canShareLocked(m)}) {
			updated = append(updated, encode(participantOut{Type: "participant-updated", Participant: r.infoLocked(m)}))
		}
		if b.unmute != r.canUnmuteLocked(m) {
			affected = append(affected, m)
		}
	}
	r.mu.Unlock()
	tell(members, encode(roomUpdatedOut{Type: "room-updated", Room: st}))
	for _, msg := range updated {
		tell(members, msg)
	}
	for _, m := range affected {
		m.post(holdEvent{notify: on})
	}
	s.logger.Info("school mode", "room", room, "on", on)
	return nil
}

// PromoteParticipant makes participant pid of room a moderator: the room
// is told (participant-updated), the new moderator gets the lobby's knocks
// and its holds are lifted. Promoting a moderator does nothing.
func (s *SFU) PromoteParticipant(room, pid string) error {
	p, err := s.findMember(room, pid)
	if err != nil {
		return fmt.Errorf("promote %s in %s: %w", pid, room, err)
	}
	r := p.room
	r.mu.Lock()
	if p.moderator {
		r.mu.Unlock()
		return nil
	}
	wasHeld := !r.canUnmuteLocked(p)
	p.moderator = true
	info, members, knocks := r.infoLocked(p), r.allMembersLocked(), r.lobbyLocked()
	r.mu.Unlock()
	tell(members, encode(participantOut{Type: "participant-updated", Participant: info}))
	for _, k := range knocks {
		p.send(encode(knockOut{Type: "knock", Participant: k}))
	}
	if wasHeld {
		p.post(holdEvent{})
	}
	s.logger.Info("participant promoted", "room", room, "participant", pid)
	return nil
}

// AllowUnmute lets participant pid of room unmute: in school mode its
// hold is lifted. The participant is told (unmute-allowed) in any case,
// which outside school mode asks it to unmute.
func (s *SFU) AllowUnmute(room, pid string) error {
	return s.allow(room, pid, "unmute-allowed", true, func(p *Participant) *bool { return &p.mayUnmute })
}

// AllowScreen lets participant pid of room share its screen in school
// mode. The participant is told (screen-allowed) in any case.
func (s *SFU) AllowScreen(room, pid string) error {
	return s.allow(room, pid, "screen-allowed", false, func(p *Participant) *bool { return &p.mayShare })
}

// allow sets the allowance flag picks and tells the room if that changed
// what the participant may do, and the participant with a message of type
// told. hold says the allowance lifts the microphone hold.
func (s *SFU) allow(room, pid, told string, hold bool, flag func(*Participant) *bool) error {
	p, err := s.findMember(room, pid)
	if err != nil {
		return fmt.Errorf("%s for %s in %s: %w", told, pid, room, err)
	}
	r := p.room
	r.mu.Lock()
	f := flag(p)
	changed := r.state.SchoolMode && !p.moderator && !*f
	*f = *f || changed
	info, members := r.infoLocked(p), r.allMembersLocked()
	r.mu.Unlock()
	if changed {
		tell(members, encode(participantOut{Type: "participant-updated", Participant: info}))
	}
	if changed && hold {
		p.post(holdEvent{})
	}
	p.send(encode(typeOut{Type: told}))
	return nil
}

// allMembersLocked lists the members.
func (r *Room) allMembersLocked() []*Participant {
	out := make([]*Participant, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m)
	}
	return out
}

// tell sends msg to each of members.
func tell(members []*Participant, msg []byte) {
	for _, m := range members {
		m.send(msg)
	}
}
