package admin

import (
	"errors"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// auditRows returns the audit log's action, object and detail, oldest first.
func auditRows(t *testing.T, s *Store, prefix string) [][3]string {
	t.Helper()
	rows, err := s.rdb.QueryContext(t.Context(), `SELECT action, object, detail FROM audit_log
		WHERE action LIKE ? ORDER BY id`, prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateRoomValidation(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	const pw = "room password"
	tests := []struct {
		name string
		in   NewRoom
		want error
	}{
		{"defaults", NewRoom{Slug: "class-7b_2026"}, nil},
		{"password room", NewRoom{Slug: "secret", Access: AccessPassword, Password: pw}, nil},
		{"members room", NewRoom{Slug: "staff", Name: "Staff room", Access: AccessMembers, MaxParticipants: 1000}, nil},
		{"empty slug", NewRoom{}, ErrInvalidSlug},
		{"upper case", NewRoom{Slug: "Team"}, ErrInvalidSlug},
		{"dot", NewRoom{Slug: "a.b"}, ErrInvalidSlug},
		{"slash", NewRoom{Slug: "a/b"}, ErrInvalidSlug},
		{"non-ASCII", NewRoom{Slug: "café"}, ErrInvalidSlug},
		{"65 characters", NewRoom{Slug: strings.Repeat("a", 65)}, ErrInvalidSlug},
		{"bad access", NewRoom{Slug: "x1", Access: "open"}, ErrInvalidAccess},
		{"password without one", NewRoom{Slug: "x2", Access: AccessPassword}, ErrRoomPassword},
		{"password on public", NewRoom{Slug: "x3", Password: pw}, ErrRoomPassword},
		{"short password", NewRoom{Slug: "x4", Access: AccessPassword, Password: "short"}, ErrWeakPassword},
		{"negative limit", NewRoom{Slug: "x5", MaxParticipants: -1}, ErrInvalidMaxParticipants},
		{"limit too high", NewRoom{Slug: "x6", MaxParticipants: 1001}, ErrInvalidMaxParticipants},
		{"control in name", NewRoom{Slug: "x7", Name: "a\nb"}, ErrInvalidName},
		{"duplicate", NewRoom{Slug: "staff"}, ErrExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.CreateRoom(t.Context(), ActorCLI, tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			got, err := s.RoomBySlug(t.Context(), tt.in.Slug)
			if err != nil || got != r {
				t.Fatalf("RoomBySlug: got %+v, %v, want %+v", got, err, r)
			}
		})
	}
	if _, err := s.CreateRoom(t.Context(), "", NewRoom{Slug: "noactor"}); err == nil {
		t.Error("created a room without an actor")
	}
}

func TestCreateRoomDefaults(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	r, err := s.CreateRoom(t.Context(), ActorCLI, NewRoom{Slug: "maths"})
	if err != nil {
		t.Fatal(err)
	}
	want := Room{ID: r.ID, Slug: "maths", Name: "maths", Access: AccessPublic, E2EERequired: true, CreatedAt: r.CreatedAt}
	if r != want || r.ID == 0 || r.CreatedAt.IsZero() {
		t.Errorf("got %+v, want %+v", r, want)
	}
	off, err := s.CreateRoom(t.Context(), ActorCLI, NewRoom{Slug: "plain", E2EERequired: ptr(false)})
	if err != nil || off.E2EERequired {
		t.Errorf("E2EERequired false: got %+v, %v", off, err)
	}
	// A row written with the column default ('{}') reads as the defaults.
	if _, err := s.wdb.ExecContext(t.Context(), `INSERT INTO rooms (slug, name, created_at) VALUES ('old', 'Old', 0)`); err != nil {
		t.Fatal(err)
	}
	old, err := s.RoomBySlug(t.Context(), "old")
	if err != nil || old.Access != AccessPublic || !old.E2EERequired || old.HasPassword {
		t.Errorf("room with empty settings: got %+v, %v", old, err)
	}
}

func TestRoomPasswordHashed(t *testing.T) {
	s, path := openTestStore(t, storeOptions{})
	const pw = "blackboard-42"
	r, err := s.CreateRoom(t.Context(), ActorCLI, NewRoom{Slug: "exam", Access: AccessPassword, Password: pw})
	if err != nil || !r.HasPassword {
		t.Fatalf("create: got %+v, %v", r, err)
	}
	var settings string
	if err := s.rdb.QueryRowContext(t.Context(), `SELECT settings FROM rooms WHERE slug = 'exam'`).Scan(&settings); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(settings, pw) || !strings.Contains(settings, `"password_hash":"$argon2id$`) {
		t.Errorf("settings %s: want an argon2id hash and no password", settings)
	}
	if dbFilesContain(t, path, pw) {
		t.Error("the database files contain the room password")
	}
	for _, c := range []struct {
		slug, pw string
		want     bool
	}{{"exam", pw, true}, {"exam", pw + "x", false}, {"exam", "", false}} {
		if ok, err := s.CheckRoomPassword(t.Context(), c.slug, c.pw); ok != c.want || err != nil {
			t.Errorf("CheckRoomPassword(%q, %q): got %v, %v, want %v", c.slug, c.pw, ok, err, c.want)
		}
	}
	if _, err := s.CheckRoomPassword(t.Context(), "nope", pw); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown room: got %v, want ErrNotFound", err)
	}
	for _, a := range auditRows(t, s, "room.") {
		if strings.Contains(a[2], pw) || strings.Contains(a[2], "argon2") {
			t.Errorf("audit detail %s holds the password or its hash", a[2])
		}
	}
}
