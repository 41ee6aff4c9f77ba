package appliance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"conclave/admin"
	"conclave/sfu"
)

// meetings shows the SFU's rooms to the admin dashboard and API
// (admin.Meetings). It reads a.sfu on every call because admin is built
// before the media stack.
type meetings struct{ a *Appliance }

// List implements admin.Meetings.
func (m meetings) List(context.Context) []admin.Meeting {
	rooms := m.a.sfu.Rooms()
	out := make([]admin.Meeting, 0, len(rooms))
	for _, r := range rooms {
		mt := admin.Meeting{Room: r.Name}
		for _, p := range r.Participants {
			role := "guest"
			if p.Role == sfu.RoleModerator {
				role = "moderator"
			}
			if mt.Started.IsZero() || p.JoinedAt.Before(mt.Started) {
				mt.Started = p.JoinedAt
			}
			mt.Participants = append(mt.Participants, admin.MeetingParticipant{
				ID: p.ID, Name: p.Name, Role: role, Joined: p.JoinedAt, TURN: p.Relayed,
				BitrateIn: p.BitrateIn, BitrateOut: p.BitrateOut,
			})
		}
		for _, w := range r.Lobby {
			mt.Participants = append(mt.Participants, admin.MeetingParticipant{
				ID: w.ID, Name: w.Name, Role: "guest", Joined: w.Since, Lobby: true,
			})
		}
		out = append(out, mt)
	}
	return out
}

// End implements admin.Meetings.
func (m meetings) End(_ context.Context, room string) error {
	return notFound(m.a.sfu.EndRoom(room))
}

// Remove implements admin.Meetings.
func (m meetings) Remove(_ context.Context, room, pid string) error {
	return notFound(m.a.sfu.RemoveParticipant(room, pid))
}

// Mute implements admin.Meetings.
func (m meetings) Mute(_ context.Context, room, pid string) error {
	return notFound(m.a.sfu.MuteParticipant(room, pid))
}

// Admit implements admin.Meetings.
func (m meetings) Admit(_ context.Context, room, pid string) error {
	return notFound(m.a.sfu.Admit(room, pid))
}

// Deny implements admin.Meetings.
func (m meetings) Deny(_ context.Context, room, pid string) error {
	return notFound(m.a.sfu.Deny(room, pid))
}

// notFound gives the SFU's "no such room or participant" admin's meaning.
func notFound(err error) error {
	if errors.Is(err, sfu.ErrRoomNotFound) || errors.Is(err, sfu.ErrParticipantNotFound) {
		return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
	}
	return err
}

// health is the dashboard's server section.
func (a *Appliance) health() admin.Health {
	h := admin.Health{
		Version:    a.version,
		Uptime:     time.Since(a.started).Round(time.Second),
		Goroutines: runtime.NumGoroutine(),
	}
	h.CPUSeconds, h.RSSBytes = processUsage()
	if a.certs != nil {
		st := a.certs.Status()
		h.TLSMode, h.CertExpiry, h.CertError, h.CAFingerprint = string(st.Mode), st.NotAfter, st.LastError, st.RootFingerprint
	}
	return h
}
