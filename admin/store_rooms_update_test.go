package admin

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// TestUpdateRoom applies one update per case to a fresh room and checks the
// room afterwards, the stored copy and the audit record.
func TestUpdateRoom(t *testing.T) {
	const pw = "room password"
	base := NewRoom{Slug: "r", Name: "Room", Access: AccessPassword, Password: pw, MaxParticipants: 10}
	tests := []struct {
		name   string
		in     RoomUpdate
		want   func(r *Room) // edits the room as created into the expected one
		err    error
		pwOK   bool // whether pw still opens the room
		newPW  string
		newPWO bool
	}{
		{name: "nothing", want: func(*Room) {}, pwOK: true},
		{name: "name", in: RoomUpdate{Name: ptr("Maths 7B")}, want: func(r *Room) { r.Name = "Maths 7B" }, pwOK: true},
		{name: "public drops password", in: RoomUpdate{Access: ptr(AccessPublic)},
			want: func(r *Room) { r.Access, r.HasPassword = AccessPublic, false }},
		{name: "members", in: RoomUpdate{Access: ptr(AccessMembers)},
			want: func(r *Room) { r.Access, r.HasPassword = AccessMembers, false }},
		{name: "new password", in: RoomUpdate{Password: ptr("another password")}, want: func(*Room) {},
			newPW: "another password", newPWO: true},
		{name: "lobby", in: RoomUpdate{Lobby: ptr(true)}, want: func(r *Room) { r.Lobby = true }, pwOK: true},
		{name: "limit", in: RoomUpdate{MaxParticipants: ptr(0)}, want: func(r *Room) { r.MaxParticipants = 0 }, pwOK: true},
		{name: "e2ee off", in: RoomUpdate{E2EERequired: ptr(false)}, want: func(r *Room) { r.E2EERequired = false }, pwOK: true},
		{name: "bad access", in: RoomUpdate{Access: ptr("everyone")}, err: ErrInvalidAccess, pwOK: true},
		{name: "password removed", in: RoomUpdate{Password: ptr("")}, err: ErrRoomPassword, pwOK: true},
		{name: "password on public", in: RoomUpdate{Access: ptr(AccessPublic), Password: ptr(pw)}, err: ErrRoomPassword, pwOK: true},
		{name: "short password", in: RoomUpdate{Password: ptr("short")}, err: ErrWeakPassword, pwOK: true},
		{name: "bad limit", in: RoomUpdate{MaxParticipants: ptr(-3)}, err: ErrInvalidMaxParticipants, pwOK: true},
		{name: "empty name", in: RoomUpdate{Name: ptr("")}, err: ErrInvalidName, pwOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTestStore(t, storeOptions{})
			created, err := s.CreateRoom(t.Context(), ActorCLI, base)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.UpdateRoom(t.Context(), "user:root", "r", tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			want := created
			if tt.want != nil {
				tt.want(&want)
			}
			stored, err := s.RoomBySlug(t.Context(), "r")
			if err != nil || stored != want || (tt.err == nil && got != want) {
				t.Errorf("got %+v, stored %+v (%v), want %+v", got, stored, err, want)
			}
			checkRoomPassword(t, s, pw, tt.pwOK)
			if tt.newPW != "" {
				checkRoomPassword(t, s, tt.newPW, tt.newPWO)
			}
			checkUpdateAudit(t, s, tt.in, tt.err == nil)
		})
	}
}

func checkRoomPassword(t *testing.T, s *Store, pw string, want bool) {
	t.Helper()
	if ok, err := s.CheckRoomPassword(t.Context(), "r", pw); ok != want || err != nil {
		t.Errorf("CheckRoomPassword(%q): got %v, %v, want %v", pw, ok, err, want)
	}
}

// checkUpdateAudit checks that a successful update left one room.update row
// naming the changed fields, and a failed one none.
func checkUpdateAudit(t *testing.T, s *Store, in RoomUpdate, ok bool) {
	t.Helper()
	rows := auditRows(t, s, "room.update")
	if !ok {
		if len(rows) != 0 {
			t.Errorf("failed update audited: %v", rows)
		}
		return
	}
	if len(rows) != 1 || rows[0][1] != "room:r" {
		t.Fatalf("audit rows %v, want one room.update of room:r", rows)
	}
	var d struct{ Changed []string }
	if err := json.Unmarshal([]byte(rows[0][2]), &d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Changed, in.changed()) {
		t.Errorf("audited changed %v, want %v", d.Changed, in.changed())
	}
}

func TestRoomUpdateNotFound(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	if _, err := s.UpdateRoom(t.Context(), ActorCLI, "ghost", RoomUpdate{Lobby: ptr(true)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteRoom(t.Context(), ActorCLI, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete: got %v, want ErrNotFound", err)
	}
	if _, err := s.RoomBySlug(t.Context(), "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get: got %v, want ErrNotFound", err)
	}
}

// TestListAndDeleteRooms checks ordering, deletion (with the moderator
// grants) and that create and delete are audited.
func TestListAndDeleteRooms(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	ctx := t.Context()
	if rooms, err := s.ListRooms(ctx); err != nil || len(rooms) != 0 {
		t.Fatalf("empty list: got %v, %v", rooms, err)
	}
	u, err := s.CreateUser(ctx, NewUser{Username: "teacher", Password: "teacher password", Role: RoleModerator, Actor: ActorCLI})
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"zoo", "art", "maths"} {
		if _, err := s.CreateRoom(ctx, ActorCLI, NewRoom{Slug: slug, CreatedBy: u.ID}); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := s.RoomBySlug(ctx, "art")
	if r.CreatedBy != u.ID {
		t.Errorf("CreatedBy: got %d, want %d", r.CreatedBy, u.ID)
	}
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO room_moderators (room_id, user_id) VALUES (?, ?)`, r.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoom(ctx, "user:root", "art"); err != nil {
		t.Fatal(err)
	}
	rooms, err := s.ListRooms(ctx)
	var slugs []string
	for _, r := range rooms {
		slugs = append(slugs, r.Slug)
	}
	if err != nil || !slices.Equal(slugs, []string{"maths", "zoo"}) {
		t.Errorf("list: got %v, %v, want [maths zoo]", slugs, err)
	}
	var grants int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM room_moderators`).Scan(&grants); err != nil || grants != 0 {
		t.Errorf("moderator grants after delete: got %d, %v, want 0", grants, err)
	}
	var actions []string
	for _, a := range auditRows(t, s, "room.") {
		actions = append(actions, a[0]+" "+a[1])
	}
	want := []string{"room.create room:zoo", "room.create room:art", "room.create room:maths", "room.delete room:art"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit: got %v, want %v", actions, want)
	}
}
