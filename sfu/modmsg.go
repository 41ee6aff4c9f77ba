package sfu

import "fmt"

// Moderation messages of docs/protocol.md, client to server. Only
// moderators may send them; others get not-allowed.

// admitMsg lets a lobby join in; denyMsg refuses it.
type admitMsg struct {
	ParticipantID string `json:"participantId"`
}

type denyMsg struct {
	ParticipantID string `json:"participantId"`
}

// moderateMsg acts on one participant (moderateActions).
type moderateMsg struct {
	Action        string `json:"action"`
	ParticipantID string `json:"participantId"`
}

// validAction tells the actions of a moderate message.
func validAction(a string) bool {
	switch a {
	case "mute", "remove", "promote", "allow-unmute", "allow-screen":
		return true
	}
	return false
}

// endMeetingMsg ends the meeting for everyone.
type endMeetingMsg struct{}

// lockRoomMsg locks or unlocks the room (new joins wait in the lobby).
type lockRoomMsg struct {
	Locked *bool `json:"locked"`
}

// schoolModeMsg turns school mode on or off.
type schoolModeMsg struct {
	On *bool `json:"on"`
}

func (admitMsg) messageType() string      { return "admit" }
func (denyMsg) messageType() string       { return "deny" }
func (moderateMsg) messageType() string   { return "moderate" }
func (endMeetingMsg) messageType() string { return "end-meeting" }
func (lockRoomMsg) messageType() string   { return "lock-room" }
func (schoolModeMsg) messageType() string { return "set-school-mode" }

// newModerationMessage returns a pointer to the struct of a moderation
// message type, or nil.
func newModerationMessage(t string) any {
	switch t {
	case "admit":
		return &admitMsg{}
	case "deny":
		return &denyMsg{}
	case "moderate":
		return &moderateMsg{}
	case "end-meeting":
		return &endMeetingMsg{}
	case "lock-room":
		return &lockRoomMsg{}
	case "set-school-mode":
		return &schoolModeMsg{}
	}
	return nil
}

// validateModeration checks a decoded moderation message; ok is false for
// other messages.
func validateModeration(m any) (msg clientMessage, ok bool, err error) {
	switch m := m.(type) {
	case *admitMsg:
		return *m, true, validTarget(m.ParticipantID)
	case *denyMsg:
		return *m, true, validTarget(m.ParticipantID)
	case *moderateMsg:
		if !validAction(m.Action) {
			return *m, true, fmt.Errorf("%w: unknown action %.16q", ErrBadMessage, m.Action)
		}
		return *m, true, validTarget(m.ParticipantID)
	case *endMeetingMsg:
		return *m, true, nil
	case *lockRoomMsg:
		return *m, true, required(m.Locked != nil, "locked")
	case *schoolModeMsg:
		return *m, true, required(m.On != nil, "on")
	}
	return nil, false, nil
}

// required fails when a boolean field is missing (or null).
func required(present bool, field string) error {
	if !present {
		return fmt.Errorf("%w: %s missing", ErrBadMessage, field)
	}
	return nil
}

func validTarget(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: bad participantId", ErrBadMessage)
	}
	return nil
}
