package sfu

import (
	"fmt"

	"github.com/coder/websocket"
)

// Moderation (docs/protocol.md), from Go (the admin dashboard) and from
// moderator clients. Each action finds its target under the locks and
// posts an event to the target's goroutine, which carries it out: a
// participant's state is only ever changed by its own goroutine.

type (
	// endEvent ends the session the way e says (removed, meeting ended).
	endEvent struct{ e ending }
	// modMuteEvent mutes the participant's audio on a moderator's order.
	modMuteEvent struct{}
)

// EndRoom ends the meeting in room for everyone: each participant gets the
// fatal error ended and a normal close (the others see participant-left
// with reason ended as they go), and each join waiting in the lobby gets
// ended too. The room is free to be joined again afterwards.
func (s *SFU) EndRoom(room string) error {
	r := s.room(room)
	if r == nil {
		return fmt.Errorf("end room %s: %w", room, ErrRoomNotFound)
	}
	r.mu.Lock()
	knocks := r.lobbyLocked()
	r.mu.Unlock()
	members := r.allMembers()
	for _, k := range knocks {
		_ = s.decide(room, k.ID, ErrRoomEnded) // gone already: nothing to do
	}
	for _, m := range members {
		m.post(endEvent{e: ending{reason: "ended", code: websocket.StatusNormalClosure, err: ErrRoomEnded}})
	}
	s.logger.Info("meeting ended", "room", room, "participants", len(members))
	return nil
}

// RemoveParticipant removes participant pid from room: it gets the fatal
// error removed, the others see participant-left with reason kicked. A pid
// waiting in the lobby is denied instead.
func (s *SFU) RemoveParticipant(room, pid string) error {
	p, err := s.findMember(room, pid)
	if err != nil {
		if s.decide(room, pid, ErrLobbyDenied) == nil {
			return nil
		}
		return fmt.Errorf("remove %s from %s: %w", pid, room, err)
	}
	p.post(endEvent{e: ending{reason: "kicked", code: websocket.StatusPolicyViolation, err: ErrRemoved}})
	return nil
}

// MuteParticipant stops forwarding participant pid's audio at once, tells
// the room its audio tracks are muted and tells the participant
// (muted-by-moderator) so that its client mutes too. The participant may
// unmute itself: forwarding resumes with its next mute message that says
// muted false. In school mode a non-moderator is held again instead, until
// AllowUnmute.
func (s *SFU) MuteParticipant(room, pid string) error {
	p, err := s.findMember(room, pid)
	if err != nil {
		return fmt.Errorf("mute %s in %s: %w", pid, room, err)
	}
	p.post(modMuteEvent{})
	return nil
}

// Admit lets a join waiting in room's lobby in.
func (s *SFU) Admit(room, pid string) error {
	if err := s.decide(room, pid, nil); err != nil {
		return fmt.Errorf("admit %s to %s: %w", pid, room, err)
	}
	return nil
}

// Deny refuses a join waiting in room's lobby (lobby-denied).
func (s *SFU) Deny(room, pid string) error {
	if err := s.decide(room, pid, ErrLobbyDenied); err != nil {
		return fmt.Errorf("deny %s in %s: %w", pid, room, err)
	}
	return nil
}

// findMember returns the member pid of room.
func (s *SFU) findMember(room, pid string) (*Participant, error) {
	r := s.room(room)
	if r == nil {
		return nil, ErrRoomNotFound
	}
	if p := r.member(pid); p != nil {
		return p, nil
	}
	return nil, ErrParticipantNotFound
}

// onModeration carries out a moderation message from p's client.
func (p *Participant) onModeration(m clientMessage) {
	if !p.room.isModerator(p) {
		p.sendError(clientErr(ErrNotAllowed, "only moderators may do this"))
		return
	}
	s, room := p.sfu, p.room.name
	var err error
	action := m.messageType()
	switch m := m.(type) {
	case admitMsg:
		err = s.decide(room, m.ParticipantID, nil)
	case denyMsg:
		err = s.decide(room, m.ParticipantID, ErrLobbyDenied)
	case moderateMsg:
		action = m.Action
		err = p.moderate(m)
	case endMeetingMsg:
		err = s.EndRoom(room)
	case lockRoomMsg:
		err = s.LockRoom(room, *m.Locked)
	case schoolModeMsg:
		err = s.SetSchoolMode(room, *m.On)
	}
	if err != nil {
		p.sendError(err)
		return
	}
	p.logger.Info("moderation", "action", action)
}

// moderate carries out a moderate message's action. Moderators may not act
// on themselves.
func (p *Participant) moderate(m moderateMsg) error {
	if m.ParticipantID == p.id {
		return clientErr(ErrNotAllowed, "a moderator cannot moderate itself")
	}
	s, room, pid := p.sfu, p.room.name, m.ParticipantID
	switch m.Action {
	case "mute":
		return s.MuteParticipant(room, pid)
	case "remove":
		return s.RemoveParticipant(room, pid)
	case "promote":
		return s.PromoteParticipant(room, pid)
	case "allow-unmute":
		return s.AllowUnmute(room, pid)
	default: // allow-screen; validateModeration allows no other
		return s.AllowScreen(room, pid)
	}
}

// muteByModerator gates and marks every audio track p publishes, tells the
// room and tells p's client.
func (p *Participant) muteByModerator() {
	for id, u := range p.published {
		if u.info.Kind != "audio" {
			continue
		}
		u.gated.Store(true)
		u.muted.Store(true)
		p.room.broadcast(p, encode(muteOut{Type: "mute", ParticipantID: p.id, TrackID: id, Muted: true}))
	}
	for id, a := range p.announced {
		if a.Kind == "audio" {
			a.Muted = true
			p.announced[id] = a
		}
	}
	p.send(encode(typeOut{Type: "muted-by-moderator"}))
	p.revokeUnmute() // in school mode, the hold is back
}
