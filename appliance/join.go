package appliance

import (
	"context"
	"errors"
	"fmt"

	"conclave/admin"
	"conclave/sfu"
)

// joinPolicy lets the SFU ask the admin store whether a join may enter a
// room (DESIGN.md: sfu declares the interface, admin implements the
// policy; the two never import each other, so the appliance translates).
type joinPolicy struct{ admin *admin.Admin }

// joinRefusals maps admin's refusals onto the SFU's, which name the
// protocol's error codes.
var joinRefusals = []struct{ from, to error }{
	{admin.ErrJoinNotAuthorized, sfu.ErrNotAuthorized},
	{admin.ErrJoinPasswordRequired, sfu.ErrPasswordRequired},
	{admin.ErrJoinWrongPassword, sfu.ErrWrongPassword},
	{admin.ErrJoinMembersOnly, sfu.ErrMembersOnly},
	{admin.ErrJoinRateLimited, sfu.ErrRateLimited},
}

// Authorize implements sfu.Authorizer.
func (p joinPolicy) Authorize(ctx context.Context, req sfu.JoinRequest) (sfu.Grant, error) {
	g, err := p.admin.AuthorizeJoin(ctx, admin.JoinRequest{
		Room: req.Room, Token: req.Token, Password: req.Password,
		RemoteAddr: req.RemoteAddr, Header: req.Header,
	})
	if err != nil {
		for _, r := range joinRefusals {
			if errors.Is(err, r.from) {
				return sfu.Grant{}, fmt.Errorf("%w: %w", r.to, err)
			}
		}
		return sfu.Grant{}, err
	}
	return sfu.Grant{UserID: g.UserID, Moderator: g.Moderator, Lobby: g.Lobby, MaxParticipants: g.MaxParticipants,
		SchoolMode: g.SchoolMode}, nil
}
