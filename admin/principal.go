package admin

import (
	"context"
	"fmt"
)

// principal is who makes a request: a signed-in user (the pages), or an API
// token acting as its user or, for service tokens made on the command line,
// with admin rights. Both surfaces authorize through it, so that the UI and
// the API apply the same rules.
type principal struct {
	user    User
	service bool
	tokenID int64
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

func (p principal) isAdmin() bool { return p.service || p.user.Role == RoleAdmin }

// isStaff reports whether p may use the admin at all: admins and moderators.
func (p principal) isStaff() bool { return p.isAdmin() || p.user.Role == RoleModerator }

// actor names p in the audit log.
func (p principal) actor() string {
	if p.tokenID != 0 {
		return fmt.Sprintf("api_token:%d", p.tokenID)
	}
	return userObject(p.user.Username)
}

// roomScope answers which rooms p may see and manage.
type roomScope struct {
	all bool
	ids map[int64]bool
}

// scope loads p's room scope: all rooms for admins, the rooms a moderator
// created or was granted, none for members.
func (a *Admin) scope(ctx context.Context, p principal) (roomScope, error) {
	if p.isAdmin() {
		return roomScope{all: true}, nil
	}
	if p.user.Role != RoleModerator {
		return roomScope{}, nil
	}
	ids, err := a.store.ModeratedRoomIDs(ctx, p.user.ID)
	if err != nil {
		return roomScope{}, err
	}
	return roomScope{ids: ids}, nil
}

func (sc roomScope) has(r Room) bool { return sc.all || sc.ids[r.ID] }

// roomFor returns the room if p may manage it. A room outside p's scope is
// ErrNotFound, not forbidden, so that a moderator cannot probe other rooms.
func (a *Admin) roomFor(ctx context.Context, p principal, slug string) (Room, error) {
	room, err := a.store.RoomBySlug(ctx, slug)
	if err != nil {
		return Room{}, err
	}
	sc, err := a.scope(ctx, p)
	if err != nil {
		return Room{}, err
	}
	if !sc.has(room) {
		return Room{}, fmt.Errorf("room %q outside the caller's rooms: %w", slug, ErrNotFound)
	}
	return room, nil
}

// roomsFor lists the rooms p may manage.
func (a *Admin) roomsFor(ctx context.Context, p principal) ([]Room, error) {
	sc, err := a.scope(ctx, p)
	if err != nil {
		return nil, err
	}
	all, err := a.store.ListRooms(ctx)
	if err != nil {
		return nil, err
	}
	var out []Room
	for _, r := range all {
		if sc.has(r) {
			out = append(out, r)
		}
	}
	return out, nil
}
