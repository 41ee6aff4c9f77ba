package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// JoinRequest is what the SFU knows about a join, as the appliance passes it.
type JoinRequest struct {
	// Room is the slug of /r/ROOM.
	Room string
	// Token is the join's optional token: an API token (cnv_...) of a
	// user or a service, for bots and scripts.
	Token string
	// Password is the room password the client sent, if any.
	Password string
	// RemoteAddr is the client's address, for throttling wrong passwords.
	RemoteAddr netip.Addr
	// Header is the WebSocket upgrade request's header; its session cookie
	// identifies a signed-in user.
	Header http.Header
}

// JoinGrant is the policy that applies to an admitted join.
type JoinGrant struct {
	// UserID is the account's ID in decimal; empty for a guest.
	UserID string
	// Moderator may admit from the lobby, mute and remove others.
	Moderator bool
	// Lobby: the participant waits, without media or roster, until a
	// moderator admits them.
	Lobby bool
	// MaxParticipants is the room's limit; 0 means the SFU's default.
	MaxParticipants int
	// SchoolMode: participants unmute and share their screen only when a
	// moderator allows it.
	SchoolMode bool
	// E2EERequired refuses clients that cannot encrypt end to end.
	E2EERequired bool
}

// joiner is who asks to join: a signed-in or token-identified account, or a guest.
type joiner struct {
	user    User
	known   bool // user is set
	service bool // a service token: treated as an admin
}

func (j joiner) admin() bool { return j.service || j.known && j.user.Role == RoleAdmin }

// AuthorizeJoin applies the join policy. A room in the database applies its
// access (public, password, members), lobby and limit; a room that is not
// is ad-hoc and open to whom Settings.AdHoc says. Admins moderate every
// room; moderators the rooms they created or were granted, and every ad-hoc
// room (nobody else could). Refusals wrap one of the ErrJoin sentinels.
func (a *Admin) AuthorizeJoin(ctx context.Context, req JoinRequest) (JoinGrant, error) {
	j, err := a.joinerOf(ctx, req)
	if err != nil {
		return JoinGrant{}, err
	}
	room, err := a.store.RoomBySlug(ctx, req.Room)
	if errors.Is(err, ErrNotFound) {
		return a.authorizeAdHoc(ctx, j)
	}
	if err != nil {
		return JoinGrant{}, fmt.Errorf("authorize join of %q: %w", req.Room, err)
	}
	mod, err := a.moderates(ctx, j, room)
	if err != nil {
		return JoinGrant{}, fmt.Errorf("authorize join of %q: %w", req.Room, err)
	}
	g := JoinGrant{UserID: j.userID(), Moderator: mod, Lobby: room.Lobby && !mod,
		MaxParticipants: room.MaxParticipants, E2EERequired: room.E2EERequired, SchoolMode: room.SchoolMode}
	switch {
	case mod:
		// A room's moderators need neither its password nor membership.
	case room.Access == AccessMembers && !j.known:
		return JoinGrant{}, fmt.Errorf("join %q: %w", req.Room, ErrJoinMembersOnly)
	case room.Access == AccessPassword:
		if err := a.checkJoinPassword(ctx, req); err != nil {
			return JoinGrant{}, err
		}
	}
	return g, nil
}

func (j joiner) userID() string {
	if !j.known {
		return ""
	}
	return fmt.Sprint(j.user.ID)
}

// joinerOf identifies the caller from the token, else the session cookie. A
// token that does not check out is refused rather than ignored: a bot with a
// revoked token should learn so.
func (a *Admin) joinerOf(ctx context.Context, req JoinRequest) (joiner, error) {
	if req.Token != "" {
		t, err := a.store.LookupAPIToken(ctx, req.Token)
		if errors.Is(err, ErrNotFound) {
			return joiner{}, fmt.Errorf("join %q: unknown token: %w", req.Room, ErrJoinNotAuthorized)
		}
		if err != nil {
			return joiner{}, fmt.Errorf("join %q: %w", req.Room, err)
		}
		if t.UserID == 0 {
			return joiner{service: true}, nil
		}
		u, err := a.store.UserByID(ctx, t.UserID)
		if err != nil || u.Disabled {
			return joiner{}, fmt.Errorf("join %q: token's user: %w", req.Room, errors.Join(ErrJoinNotAuthorized, err))
		}
		return joiner{user: u, known: true}, nil
	}
	if req.Header == nil {
		return joiner{}, nil
	}
	r := http.Request{Header: req.Header}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return joiner{}, nil
	}
	u, err := a.store.SessionUser(ctx, c.Value)
	if errors.Is(err, ErrNotFound) {
		return joiner{}, nil // an expired session joins as a guest
	}
	if err != nil {
		return joiner{}, fmt.Errorf("join %q: session: %w", req.Room, err)
	}
	return joiner{user: u, known: true}, nil
}

// moderates reports whether j moderates room.
func (a *Admin) moderates(ctx context.Context, j joiner, room Room) (bool, error) {
	if j.admin() {
		return true, nil
	}
	if !j.known || j.user.Role != RoleModerator {
		return false, nil
	}
	ids, err := a.store.ModeratedRoomIDs(ctx, j.user.ID)
	if err != nil {
		return false, err
	}
	return ids[room.ID], nil
}

// authorizeAdHoc applies Settings.AdHoc to a room that is not configured.
func (a *Admin) authorizeAdHoc(ctx context.Context, j joiner) (JoinGrant, error) {
	st, err := a.store.Settings(ctx)
	if err != nil {
		return JoinGrant{}, fmt.Errorf("authorize ad-hoc join: %w", err)
	}
	staff := j.admin() || j.known && j.user.Role == RoleModerator
	switch {
	case st.AdHoc == AdHocSignedIn && !j.known && !j.service:
		return JoinGrant{}, fmt.Errorf("ad-hoc rooms need an account: %w", ErrJoinNotAuthorized)
	case st.AdHoc == AdHocAdmins && !j.admin():
		return JoinGrant{}, fmt.Errorf("ad-hoc rooms are for admins: %w", ErrJoinNotAuthorized)
	}
	return JoinGrant{UserID: j.userID(), Moderator: staff, E2EERequired: true}, nil
}

// checkJoinPassword checks the room password, throttled per room and client
// address like sign-ins, so that guessing a room password online is slow.
func (a *Admin) checkJoinPassword(ctx context.Context, req JoinRequest) error {
	if req.Password == "" {
		return fmt.Errorf("join %q: %w", req.Room, ErrJoinPasswordRequired)
	}
	ip := req.RemoteAddr.Unmap().String()
	key := strings.ToLower(req.Room) + "|" + ip
	if ok, _ := a.joinThrottle.allow(key, ip); !ok {
		return fmt.Errorf("join %q from %s: %w", req.Room, ip, ErrJoinRateLimited)
	}
	ok, err := a.store.CheckRoomPassword(ctx, req.Room, req.Password)
	if err != nil {
		return fmt.Errorf("join %q: %w", req.Room, err)
	}
	if !ok {
		a.joinThrottle.fail(key, ip)
		return fmt.Errorf("join %q: %w", req.Room, ErrJoinWrongPassword)
	}
	a.joinThrottle.succeed(key)
	return nil
}
