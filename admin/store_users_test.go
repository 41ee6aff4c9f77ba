package admin

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestValidateUsername(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"simple", "alice", true},
		{"all allowed symbols", "a.b_c-d@example.org", true},
		{"digits only", "1234", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"empty", "", false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"space", "alice smith", false},
		{"cyrillic look-alike", "аlice", false},
		{"slash", "a/b", false},
		{"NUL", "a\x00b", false},
		{"newline", "alice\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateUsername(tc.in)
			if (err == nil) != tc.ok {
				t.Errorf("validateUsername(%q): got %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidUsername) {
				t.Errorf("got %v, want ErrInvalidUsername", err)
			}
		})
	}
}

func TestCreateUser(t *testing.T) {
	ctx := t.Context()
	s, _ := openTestStore(t, storeOptions{})
	if _, err := s.CreateUser(ctx, NewUser{Username: "Alice", Password: "0123456789", Role: RoleModerator, Actor: ActorCLI}); err != nil {
		t.Fatalf("create: %v", err)
	}
	tests := []struct {
		name string
		in   NewUser
		want error
	}{
		{"same name other case", NewUser{Username: "alice", Password: "0123456789", Role: RoleMember, Actor: ActorCLI}, ErrExists},
		{"bad username", NewUser{Username: "al ice", Password: "0123456789", Role: RoleMember, Actor: ActorCLI}, ErrInvalidUsername},
		{"bad role", NewUser{Username: "carol", Password: "0123456789", Role: "owner", Actor: ActorCLI}, ErrInvalidRole},
		{"short password", NewUser{Username: "carol", Password: "short", Role: RoleMember, Actor: ActorCLI}, ErrWeakPassword},
		{"long password", NewUser{Username: "carol", Password: strings.Repeat("x", 1025), Role: RoleMember, Actor: ActorCLI}, ErrPasswordTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.CreateUser(ctx, tc.in); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("no actor", func(t *testing.T) {
		if _, err := s.CreateUser(ctx, NewUser{Username: "dave", Password: "0123456789", Role: RoleMember, Actor: ""}); err == nil {
			t.Error("got nil error, want one for an empty actor")
		}
	})

	u, err := s.UserByUsername(ctx, "ALICE")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if u.Username != "Alice" || u.Role != RoleModerator || u.Disabled || u.CreatedAt.IsZero() {
		t.Errorf("got %+v, want Alice, moderator, enabled, with a creation time", u)
	}
	if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
	var actor, object, detail string
	err = s.rdb.QueryRowContext(ctx, `SELECT actor, object, detail FROM audit_log WHERE action = 'user.create'`).Scan(&actor, &object, &detail)
	if err != nil {
		t.Fatalf("audit row: %v", err)
	}
	if actor != ActorCLI || object != "user:Alice" || detail != `{"role":"moderator"}` {
		t.Errorf("audit: got %s %s %s, want cli user:Alice {\"role\":\"moderator\"}", actor, object, detail)
	}
}

func TestCheckPassword(t *testing.T) {
	ctx := t.Context()
	s, _ := openTestStore(t, storeOptions{})
	for _, nu := range []NewUser{
		{Username: "alice", Password: "alice password", Role: RoleAdmin, Actor: ActorCLI},
		{Username: "mallory", Password: "mallory password", Role: RoleMember, Actor: ActorCLI},
	} {
		if _, err := s.CreateUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.wdb.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE username = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, password string
		want                 error
	}{
		{"right password", "alice", "alice password", nil},
		{"username in other case", "ALICE", "alice password", nil},
		{"wrong password", "alice", "alice passwort", ErrInvalidCredentials},
		{"unknown user", "eve", "alice password", ErrInvalidCredentials},
		{"oversized password", "alice", strings.Repeat("x", 2000), ErrInvalidCredentials},
		{"disabled, right password", "mallory", "mallory password", ErrUserDisabled},
		{"disabled, wrong password", "mallory", "guess guess guess", ErrInvalidCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := s.CheckPassword(ctx, tc.user, tc.password)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && u.Username != "alice" {
				t.Errorf("got user %q, want alice", u.Username)
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	ctx := t.Context()
	s, _ := openTestStore(t, storeOptions{})
	u, err := s.CreateUser(ctx, NewUser{Username: "alice", Password: "first password", Role: RoleAdmin, Actor: ActorCLI})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at)
		VALUES (zeroblob(32), ?, 0, 0, 9999999999)`, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, ActorCLI, "alice", "second password"); err != nil {
		t.Fatalf("set password: %v", err)
	}
	if _, err := s.CheckPassword(ctx, "alice", "first password"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("old password: got %v, want ErrInvalidCredentials", err)
	}
	if _, err := s.CheckPassword(ctx, "alice", "second password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	var sessions int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Errorf("sessions after password change: got %d, want 0", sessions)
	}
	if err := s.SetPassword(ctx, ActorCLI, "nobody", "second password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: got %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, ActorCLI, "alice", "short"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("short password: got %v, want ErrWeakPassword", err)
	}
}

func TestHasAdmin(t *testing.T) {
	ctx := t.Context()
	s, _ := openTestStore(t, storeOptions{})
	steps := []struct {
		create NewUser
		want   bool
	}{
		{NewUser{}, false},
		{NewUser{Username: "mod", Password: "0123456789", Role: RoleModerator, Actor: ActorCLI}, false},
		{NewUser{Username: "root", Password: "0123456789", Role: RoleAdmin, Actor: ActorCLI}, true},
	}
	for _, st := range steps {
		if st.create.Username != "" {
			if _, err := s.CreateUser(ctx, st.create); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.HasAdmin(ctx); err != nil || got != st.want {
			t.Errorf("after %q: got %v (err %v), want %v", st.create.Username, got, err, st.want)
		}
	}
}

func TestNewUserLogValueRedactsPassword(t *testing.T) {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "user", NewUser{Username: "alice", Password: "hunter2hunter2", Role: RoleAdmin, Actor: ActorCLI})
	if strings.Contains(b.String(), "hunter2") || !strings.Contains(b.String(), "REDACTED") {
		t.Errorf("log line %q leaks the password or lacks REDACTED", b.String())
	}
}
