package admin

import (
	"context"
	"time"
)

// Meetings is the live view of the SFU that the dashboard and the meetings
// API need. The appliance implements it over the SFU; admin never imports
// sfu. End, Remove and Mute return an error wrapping ErrNotFound when there
// is no such meeting or participant.
type Meetings interface {
	// List returns the meetings running now, in any order.
	List(ctx context.Context) []Meeting
	// End closes a meeting: every participant is disconnected.
	End(ctx context.Context, room string) error
	// Remove disconnects one participant.
	Remove(ctx context.Context, room, participantID string) error
	// Mute asks one participant's microphone to be muted.
	Mute(ctx context.Context, room, participantID string) error
	// Admit lets a participant waiting in the lobby in; Deny turns it away.
	Admit(ctx context.Context, room, participantID string) error
	Deny(ctx context.Context, room, participantID string) error
}

// Meeting is one running meeting (an SFU room with participants).
type Meeting struct {
	// Room is the room's slug, as in /r/ROOM.
	Room         string
	Started      time.Time
	Participants []MeetingParticipant
}

// MeetingParticipant is one participant of a running meeting.
type MeetingParticipant struct {
	ID   string
	Name string
	// Role is how the participant joined: "moderator", "member" or "guest".
	Role   string
	Joined time.Time
	// TURN is true when the participant's media is relayed through TURN.
	TURN bool
	// Lobby is true while the participant waits to be admitted.
	Lobby bool
	// BitrateIn and BitrateOut are bits per second received from and sent
	// to the participant, recently.
	BitrateIn, BitrateOut int64
}

// Health is the server's state for the dashboard. The appliance fills it.
type Health struct {
	Version string
	Uptime  time.Duration
	// CPUSeconds is the process's CPU time so far (user+system).
	CPUSeconds float64
	// RSSBytes is the process's resident memory.
	RSSBytes int64
	// Goroutines is the number of goroutines, a leak indicator.
	Goroutines int
	// TLSMode says where the certificate comes from ("acme", "internal", ...).
	TLSMode string
	// CertExpiry is when the served certificate expires; zero if unknown.
	CertExpiry time.Time
	// CertError is the last certificate error (an ACME failure), if any.
	CertError string
	// CAFingerprint is the SHA-256 fingerprint of the built-in CA's root,
	// for people to compare when they install it; empty without one.
	CAFingerprint string
}

// liveMeetings returns the meetings p may see: all for admins, for
// moderators only those of configured rooms they manage.
func (a *Admin) liveMeetings(ctx context.Context, p principal) ([]Meeting, error) {
	if a.cfg.Meetings == nil {
		return nil, nil
	}
	all := a.cfg.Meetings.List(ctx)
	if p.isAdmin() {
		return all, nil
	}
	rooms, err := a.roomsFor(ctx, p)
	if err != nil {
		return nil, err
	}
	mine := make(map[string]bool, len(rooms))
	for _, r := range rooms {
		mine[r.Slug] = true
	}
	var out []Meeting
	for _, m := range all {
		if mine[m.Room] {
			out = append(out, m)
		}
	}
	return out, nil
}

// meetingFor checks that p may act on the meeting in room: admins on any,
// moderators on rooms they manage. Anything else is ErrNotFound.
func (a *Admin) meetingFor(ctx context.Context, p principal, room string) error {
	if a.cfg.Meetings == nil {
		return ErrNotFound
	}
	if p.isAdmin() {
		return nil
	}
	_, err := a.roomFor(ctx, p, room)
	return err
}
