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

// moderateMsg mutes or removes a participant.
type moderateMsg struct {
	Action        string `json:"action"` // mute or remove
	ParticipantID string `json:"participantId"`
}

// endMeetingMsg ends the meeting for everyone.
type endMeetingMsg struct{}

func (admitMsg) messageType() string      { return "admit" }
func (denyMsg) messageType() string       { return "deny" }
func (moderateMsg) messageType() string   { return "moderate" }
func (endMeetingMsg) messageType() string { return "end-meeting" }

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
		if m.Action != "mute" && m.Action != "remove" {
			return *m, true, fmt.Errorf("%w: action %.16q is not mute or remove", ErrBadMessage, m.Action)
		}
		return *m, true, validTarget(m.ParticipantID)
	case *endMeetingMsg:
		return *m, true, nil
	}
	return nil, false, nil
}

func validTarget(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: bad participantId", ErrBadMessage)
	}
	return nil
}
