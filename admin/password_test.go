package admin

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=1\$`)

// storedHash reads a user's password hash straight from the database.
func storedHash(t *testing.T, s *Store, username string) string {
	t.Helper()
	_, hash, err := userWithHash(t.Context(), s.rdb, username)
	if err != nil {
		t.Fatalf("read hash of %s: %v", username, err)
	}
	return hash
}

// TestStoredHashFormat is W4: with the real parameters the stored hash is a
// PHC Argon2id string meeting OWASP's minimum.
func TestStoredHashFormat(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{hash: defaultArgonParams()})
	if _, err := s.CreateUser(t.Context(), NewUser{Username: "alice", Password: "correct horse", Role: RoleAdmin, Actor: ActorCLI}); err != nil {
		t.Fatal(err)
	}
	hash := storedHash(t, s, "alice")
	m := phcPattern.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("hash %q does not match %s", hash, phcPattern)
	}
	mem, _ := strconv.Atoi(m[1])
	passes, _ := strconv.Atoi(m[2])
	if mem < 19456 || passes < 2 {
		t.Errorf("got m=%d t=%d, want m>=19456 t>=2", mem, passes)
	}
	if _, err := s.CheckPassword(t.Context(), "alice", "correct horse"); err != nil {
		t.Errorf("check password: %v", err)
	}
}

// TestRehashOnLogin is W4: after the parameters change, the next successful
// login rewrites the hash with the new ones; a failed login does not.
func TestRehashOnLogin(t *testing.T) {
	ctx := t.Context()
	s, _ := openTestStore(t, storeOptions{})
	if _, err := s.CreateUser(ctx, NewUser{Username: "bob", Password: "0123456789", Role: RoleMember, Actor: ActorCLI}); err != nil {
		t.Fatal(err)
	}
	old := storedHash(t, s, "bob")
	stronger := cheapParams()
	stronger.time = 3
	s.hasher = newHasher(stronger, maxConcurrentHashes)

	if _, err := s.CheckPassword(ctx, "bob", "wrong password"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password: got %v, want ErrInvalidCredentials", err)
	}
	if got := storedHash(t, s, "bob"); got != old {
		t.Errorf("failed login rewrote the hash")
	}
	if _, err := s.CheckPassword(ctx, "bob", "0123456789"); err != nil {
		t.Fatalf("login: %v", err)
	}
	got := storedHash(t, s, "bob")
	if !strings.Contains(got, "$m=64,t=3,p=1$") {
		t.Errorf("after login: got hash %q, want t=3", got)
	}
	if _, err := s.CheckPassword(ctx, "bob", "0123456789"); err != nil {
		t.Errorf("login with the rehashed password: %v", err)
	}
	var audits int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'user.rehash_password'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 1 {
		t.Errorf("rehash audit rows: got %d, want 1", audits)
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrWeakPassword},
		{"nine characters", "123456789", ErrWeakPassword},
		{"ten characters", "1234567890", nil},
		{"ten multibyte characters", "ééééééééé€", nil},
		{"1024 bytes", strings.Repeat("a", 1024), nil},
		{"1025 bytes", strings.Repeat("a", 1025), ErrPasswordTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := validatePassword(tc.in); !errors.Is(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePHC(t *testing.T) {
	good := encodePHC(cheapParams(), make([]byte, 16), make([]byte, 32))
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"written by encodePHC", good, false},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), true},
		{"old version", strings.Replace(good, "v=19", "v=16", 1), true},
		{"memory of 4 TiB", strings.Replace(good, "m=64", "m=4294967295", 1), true},
		{"zero passes", strings.Replace(good, "t=1", "t=0", 1), true},
		{"bad base64 salt", strings.Replace(good, "$AAAA", "$!!!!", 1), true},
		{"missing field", good[:strings.LastIndexByte(good, '$')], true},
		{"empty", "", true},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, salt, key, err := parsePHC(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got err %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (p != cheapParams() || len(salt) != 16 || len(key) != 32) {
				t.Errorf("got params %+v salt %d key %d, want %+v 16 32", p, len(salt), len(key), cheapParams())
			}
		})
	}
}

// TestHashConcurrencyLimit checks the semaphore: with every slot taken, a hash
// waits, and gives up when its context ends.
func TestHashConcurrencyLimit(t *testing.T) {
	h := newHasher(cheapParams(), maxConcurrentHashes)
	for range maxConcurrentHashes {
		h.sem <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.hash(ctx, "0123456789"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hash with all slots busy: got %v, want context.DeadlineExceeded", err)
	}
	<-h.sem
	if _, err := h.hash(t.Context(), "0123456789"); err != nil {
		t.Errorf("hash with a free slot: %v", err)
	}
}
