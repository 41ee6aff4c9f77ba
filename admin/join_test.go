package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// joinEnv is an Admin without HTTP, for the join policy.
type joinEnv struct {
	t     *testing.T
	a     *Admin
	s     *Store
	clock *fakeClock
	users map[string]User
}

func newJoinEnv(t *testing.T) *joinEnv {
	t.Helper()
	clock := newFakeClock()
	s, _ := openTestStore(t, storeOptions{now: clock.Now})
	a, err := New(Config{}, s)
	if err != nil {
		t.Fatal(err)
	}
	e := &joinEnv{t: t, a: a, s: s, clock: clock, users: make(map[string]User)}
	ctx := t.Context()
	for name, role := range map[string]string{"ann": RoleAdmin, "mo": RoleModerator, "mo2": RoleModerator,
		"other": RoleModerator, "mem": RoleMember, "gone": RoleMember} {
		u, err := s.CreateUser(ctx, NewUser{Username: name, Password: name + " password", Role: role, Actor: ActorCLI})
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u
	}
	on := true
	rooms := []NewRoom{
		{Slug: "pub", Lobby: true, MaxParticipants: 10},
		{Slug: "pw", Access: AccessPassword, Password: "room password"},
		{Slug: "mem", Access: AccessMembers},
		{Slug: "owned", CreatedBy: e.users["mo"].ID},
		{Slug: "granted", Access: AccessMembers, Lobby: true, E2EERequired: &on},
		{Slug: "class", SchoolMode: true},
	}
	for _, r := range rooms {
		if _, err := s.CreateRoom(ctx, ActorCLI, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRoomModerators(ctx, ActorCLI, "granted", []int64{e.users["mo2"].ID}); err != nil {
		t.Fatal(err)
	}
	return e
}

// session returns the header of a browser signed in as name.
func (e *joinEnv) session(name string) http.Header {
	e.t.Helper()
	id, err := e.s.CreateSession(e.t.Context(), e.users[name].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return http.Header{"Cookie": {sessionCookie + "=" + id}}
}

func (e *joinEnv) token(name string) string {
	e.t.Helper()
	var tok string
	var err error
	if name == "" {
		tok, err = e.s.CreateAPIToken(e.t.Context(), ActorCLI, "bot", 0)
	} else {
		tok, err = e.s.CreateUserAPIToken(e.t.Context(), ActorCLI, e.users[name].ID, "bot", 0)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

var guestIP = netip.MustParseAddr("192.0.2.7")

// TestAuthorizeJoinMatrix is the join policy for each kind of room and caller.
func TestAuthorizeJoinMatrix(t *testing.T) {
	e := newJoinEnv(t)
	ctx := t.Context()
	disabled := e.session("gone")
	off := true
	if _, err := e.s.UpdateUser(ctx, ActorCLI, "gone", UserUpdate{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	h := map[string]http.Header{"ann": e.session("ann"), "mo": e.session("mo"), "mo2": e.session("mo2"),
		"other": e.session("other"), "mem": e.session("mem")}
	uid := func(n string) string { return idString(e.users[n].ID) }
	type grant = JoinGrant
	tests := []struct {
		name     string
		req      JoinRequest
		settings string // ad-hoc setting; "" keeps anyone
		want     grant
		wantErr  error
	}{
		{name: "public guest waits", req: JoinRequest{Room: "pub"}, want: grant{Lobby: true, MaxParticipants: 10, E2EERequired: true}},
		{name: "school mode reaches the SFU", req: JoinRequest{Room: "class"}, want: grant{SchoolMode: true, E2EERequired: true}},
		{name: "public admin moderates", req: JoinRequest{Room: "pub", Header: h["ann"]},
			want: grant{UserID: uid("ann"), Moderator: true, MaxParticipants: 10, E2EERequired: true}},
		{name: "public member waits", req: JoinRequest{Room: "pub", Header: h["mem"]},
			want: grant{UserID: uid("mem"), Lobby: true, MaxParticipants: 10, E2EERequired: true}},
		{name: "owner moderates", req: JoinRequest{Room: "owned", Header: h["mo"]},
			want: grant{UserID: uid("mo"), Moderator: true, E2EERequired: true}},
		{name: "other moderator does not", req: JoinRequest{Room: "owned", Header: h["other"]},
			want: grant{UserID: uid("other"), E2EERequired: true}},
		{name: "granted moderator", req: JoinRequest{Room: "granted", Header: h["mo2"]},
			want: grant{UserID: uid("mo2"), Moderator: true, E2EERequired: true}},
		{name: "members room guest", req: JoinRequest{Room: "mem"}, wantErr: ErrJoinMembersOnly},
		{name: "members room member", req: JoinRequest{Room: "mem", Header: h["mem"]}, want: grant{UserID: uid("mem"), E2EERequired: true}},
		{name: "members room member token", req: JoinRequest{Room: "mem", Token: e.token("mem")}, want: grant{UserID: uid("mem"), E2EERequired: true}},
		{name: "members room service token", req: JoinRequest{Room: "mem", Token: e.token("")}, want: grant{Moderator: true, E2EERequired: true}},
		{name: "unknown token", req: JoinRequest{Room: "pub", Token: "cnv_" + "A234567890123456789012345678901234567890123"}, wantErr: ErrJoinNotAuthorized},
		{name: "malformed token", req: JoinRequest{Room: "pub", Token: "nonsense"}, wantErr: ErrJoinNotAuthorized},
		{name: "disabled account is a guest", req: JoinRequest{Room: "mem", Header: disabled}, wantErr: ErrJoinMembersOnly},
		{name: "garbage cookie is a guest", req: JoinRequest{Room: "mem", Header: http.Header{"Cookie": {sessionCookie + "=x"}}}, wantErr: ErrJoinMembersOnly},
		{name: "password missing", req: JoinRequest{Room: "pw", RemoteAddr: guestIP}, wantErr: ErrJoinPasswordRequired},
		{name: "password wrong", req: JoinRequest{Room: "pw", Password: "nope nope nope", RemoteAddr: guestIP}, wantErr: ErrJoinWrongPassword},
		{name: "password right", req: JoinRequest{Room: "pw", Password: "room password", RemoteAddr: guestIP}, want: grant{E2EERequired: true}},
		{name: "password member still asked", req: JoinRequest{Room: "pw", Header: h["mem"], RemoteAddr: guestIP}, wantErr: ErrJoinPasswordRequired},
		{name: "password admin not asked", req: JoinRequest{Room: "pw", Header: h["ann"]},
			want: grant{UserID: uid("ann"), Moderator: true, E2EERequired: true}},
		{name: "ad-hoc anyone guest", req: JoinRequest{Room: "brisk-otter-42"}, want: grant{E2EERequired: true}},
		{name: "ad-hoc anyone moderator", req: JoinRequest{Room: "brisk-otter-42", Header: h["mo"]},
			want: grant{UserID: uid("mo"), Moderator: true, E2EERequired: true}},
		{name: "ad-hoc anyone member", req: JoinRequest{Room: "brisk-otter-42", Header: h["mem"]}, want: grant{UserID: uid("mem"), E2EERequired: true}},
		{name: "ad-hoc signed-in guest", settings: AdHocSignedIn, req: JoinRequest{Room: "x"}, wantErr: ErrJoinNotAuthorized},
		{name: "ad-hoc signed-in member", settings: AdHocSignedIn, req: JoinRequest{Room: "x", Header: h["mem"]},
			want: grant{UserID: uid("mem"), E2EERequired: true}},
		{name: "ad-hoc signed-in bot", settings: AdHocSignedIn, req: JoinRequest{Room: "x", Token: e.token("")},
			want: grant{Moderator: true, E2EERequired: true}},
		{name: "ad-hoc admins member", settings: AdHocAdmins, req: JoinRequest{Room: "x", Header: h["mem"]}, wantErr: ErrJoinNotAuthorized},
		{name: "ad-hoc admins moderator", settings: AdHocAdmins, req: JoinRequest{Room: "x", Header: h["mo"]}, wantErr: ErrJoinNotAuthorized},
		{name: "ad-hoc admins admin", settings: AdHocAdmins, req: JoinRequest{Room: "x", Header: h["ann"]},
			want: grant{UserID: uid("ann"), Moderator: true, E2EERequired: true}},
		{name: "configured room ignores ad-hoc setting", settings: AdHocAdmins, req: JoinRequest{Room: "pub"},
			want: grant{Lobby: true, MaxParticipants: 10, E2EERequired: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := Settings{AdHoc: tc.settings}
			if _, err := e.s.UpdateSettings(ctx, ActorCLI, st); err != nil {
				t.Fatal(err)
			}
			got, err := e.a.AuthorizeJoin(ctx, tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %+v, %v; want %v", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestJoinPasswordThrottle is W10's rate limit: wrong room passwords from one
// address lock that address out of that room, the right password included,
// while other addresses and rooms are unaffected; the lock passes with time.
func TestJoinPasswordThrottle(t *testing.T) {
	e := newJoinEnv(t)
	ctx := t.Context()
	if _, err := e.s.CreateRoom(ctx, ActorCLI, NewRoom{Slug: "pw2", Access: AccessPassword, Password: "other password"}); err != nil {
		t.Fatal(err)
	}
	join := func(room, pw string, ip netip.Addr) error {
		_, err := e.a.AuthorizeJoin(ctx, JoinRequest{Room: room, Password: pw, RemoteAddr: ip})
		return err
	}
	for i := range accountFailureLimit {
		if err := join("pw", "wrong guess "+idString(int64(i)), guestIP); !errors.Is(err, ErrJoinWrongPassword) {
			t.Fatalf("guess %d: got %v, want wrong password", i, err)
		}
	}
	if err := join("pw", "room password", guestIP); !errors.Is(err, ErrJoinRateLimited) {
		t.Errorf("right password while locked: got %v, want rate limited", err)
	}
	if err := join("pw", "room password", netip.MustParseAddr("2001:db8::1")); err != nil {
		t.Errorf("another address: got %v, want admitted", err)
	}
	if err := join("pw2", "other password", guestIP); err != nil {
		t.Errorf("another room from the locked address: got %v, want admitted", err)
	}
	e.clock.Advance(lockoutBase + time.Second)
	if err := join("pw", "room password", guestIP); err != nil {
		t.Errorf("after the lockout: got %v, want admitted", err)
	}
}

// TestJoinExpiredSession: a session past its idle timeout is a guest.
func TestJoinExpiredSession(t *testing.T) {
	e := newJoinEnv(t)
	h := e.session("mem")
	if _, err := e.a.AuthorizeJoin(t.Context(), JoinRequest{Room: "mem", Header: h}); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	e.clock.Advance(sessionIdleTimeout + time.Second)
	if _, err := e.a.AuthorizeJoin(t.Context(), JoinRequest{Room: "mem", Header: h}); !errors.Is(err, ErrJoinMembersOnly) {
		t.Errorf("idle session: got %v, want members only", err)
	}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
