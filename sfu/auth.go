package sfu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
)

// Authorizer decides whether a join may enter a room, and how: as a
// moderator, through the lobby, with which room size. The admin panel
// implements the policy; the appliance adapts it to this interface (sfu and
// admin never import each other). Authorize must honour ctx.
//
// To refuse a join, return an error that wraps one of ErrNotAuthorized,
// ErrPasswordRequired, ErrWrongPassword, ErrMembersOnly or ErrRateLimited;
// the client gets the matching error code (docs/protocol.md), fatal. Any
// other error refuses the join with code internal and is logged.
type Authorizer interface {
	Authorize(ctx context.Context, req JoinRequest) (Grant, error)
}

// JoinRequest is what the server knows about a join when it authorizes it.
type JoinRequest struct {
	// Room is the validated room name; Name the trimmed display name.
	Room, Name string
	// Token and Password are the join's optional "token" and "password"
	// fields, empty when absent.
	Token, Password string
	// RemoteAddr is the client's IP address.
	RemoteAddr netip.Addr
	// Header holds the headers of the WebSocket upgrade request (a copy),
	// for example the admin session cookie of a signed-in member.
	Header http.Header
}

// Grant is what an Authorizer decided about a join. UserID is logged; the
// role is shown to the room; nothing else leaves the server.
type Grant struct {
	// UserID names the account behind the join; empty for anonymous
	// room links.
	UserID string
	// Moderator lets the participant admit and deny lobby joins, mute and
	// remove others and end the meeting. Moderators skip the lobby.
	Moderator bool
	// Lobby makes the join wait until a moderator admits it.
	Lobby bool
	// MaxParticipants is the room's size limit for this join: it is
	// refused with room-full when the room already holds that many. 0
	// means Config.MaxParticipants; at most MaxSenderIndex.
	MaxParticipants int
	// SchoolMode is the room's school-mode setting (docs/protocol.md). The
	// first grant of a room (the join that opens it) sets it; later
	// grants do not change it, moderators may at run time.
	SchoolMode bool
}

// authorize asks the Authorizer, if any. Errors that wrap a refusal
// sentinel keep it (errorCode maps it); any other becomes internal.
func (s *SFU) authorize(ctx context.Context, req JoinRequest) (Grant, error) {
	if s.cfg.Authorizer == nil {
		return Grant{}, nil
	}
	g, err := s.cfg.Authorizer.Authorize(ctx, req)
	if err != nil {
		for _, refusal := range []error{ErrNotAuthorized, ErrPasswordRequired, ErrWrongPassword, ErrMembersOnly,
			ErrRateLimited} {
			if errors.Is(err, refusal) {
				return Grant{}, fmt.Errorf("join room %s: %w", req.Room, err)
			}
		}
		// %v: the chain is cut so that no stray sentinel picks the code.
		return Grant{}, fmt.Errorf("authorize join to room %s: %v", req.Room, err)
	}
	return g, nil
}

// roomLimit is the size limit a grant sets for its room.
func (s *SFU) roomLimit(g Grant) int {
	if g.MaxParticipants <= 0 {
		return s.cfg.MaxParticipants
	}
	return min(g.MaxParticipants, MaxSenderIndex)
}
