package admin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// newSetupStore opens a store and issues a setup token written to a file.
func newSetupStore(t *testing.T, clock *fakeClock) (s *Store, dbPath, file, token string) {
	t.Helper()
	s, dbPath = openTestStore(t, storeOptions{now: clock.Now})
	file = filepath.Join(filepath.Dir(dbPath), "setup-token")
	token, err := s.EnsureSetupToken(t.Context(), file, time.Hour)
	if err != nil {
		t.Fatalf("ensure setup token: %v", err)
	}
	if token == "" {
		t.Fatal("ensure setup token: got no token on an empty database")
	}
	return s, dbPath, file, token
}

func TestSetupTokenFileAndStorage(t *testing.T) {
	s, dbPath, file, token := newSetupStore(t, newFakeClock())
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("token file mode: got %o, want 600", got)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != token {
		t.Errorf("token file: got %q, want %q", got, token)
	}
	if dbFilesContain(t, dbPath, token) {
		t.Error("database files hold the plain setup token, want only its digest")
	}
	// A restart replaces the token: the old one stops working.
	again, err := s.EnsureSetupToken(t.Context(), file, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if again == token {
		t.Error("second EnsureSetupToken returned the same token, want a fresh one")
	}
	if err := s.CheckSetupToken(t.Context(), token); !errors.Is(err, ErrSetupTokenInvalid) {
		t.Errorf("replaced token: got %v, want ErrSetupTokenInvalid", err)
	}
	if err := s.CheckSetupToken(t.Context(), again); err != nil {
		t.Errorf("current token: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) == 0 {
		t.Error("data dir is empty")
	} else {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left behind", e.Name())
			}
		}
	}
}

func TestCompleteSetup(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	s, _, file, token := newSetupStore(t, clock)

	tests := []struct {
		name, token, user, password string
		want                        error
	}{
		{"wrong token", token + "x", "root", "0123456789", ErrSetupTokenInvalid},
		{"empty token", "", "root", "0123456789", ErrSetupTokenInvalid},
		{"bad username", token, "root user", "0123456789", ErrInvalidUsername},
		{"short password", token, "root", "012345678", ErrWeakPassword},
		{"valid", token, "root", "0123456789", nil},
		{"second use", token, "root2", "0123456789", ErrSetupComplete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := s.CompleteSetup(ctx, tc.token, tc.user, tc.password)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && (u.Username != "root" || u.Role != RoleAdmin) {
				t.Errorf("got %+v, want admin root", u)
			}
		})
	}
	if _, err := s.CheckPassword(ctx, "root", "0123456789"); err != nil {
		t.Errorf("login as the new admin: %v", err)
	}
	var tokens, audits int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM setup_tokens`).Scan(&tokens); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE actor = 'setup' AND action = 'user.create'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if tokens != 0 || audits != 1 {
		t.Errorf("got %d setup tokens and %d setup audit rows, want 0 and 1", tokens, audits)
	}

	// Once an admin exists, start-up issues no token and removes the stale file.
	got, err := s.EnsureSetupToken(ctx, file, time.Hour)
	if err != nil || got != "" {
		t.Errorf("ensure after setup: got %q, %v, want \"\", nil", got, err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token file after setup: got %v, want it removed", err)
	}
}

func TestSetupTokenExpires(t *testing.T) {
	clock := newFakeClock()
	s, _, _, token := newSetupStore(t, clock)
	clock.Advance(time.Hour - time.Second)
	if err := s.CheckSetupToken(t.Context(), token); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := s.CompleteSetup(t.Context(), token, "root", "0123456789"); !errors.Is(err, ErrSetupTokenInvalid) {
		t.Errorf("at expiry: got %v, want ErrSetupTokenInvalid", err)
	}
	if has, _ := s.HasAdmin(t.Context()); has {
		t.Error("an expired token created an admin")
	}
}

// TestSetupTokenUsedOnce races CompleteSetup calls with the same token, from
// one store and from a second store on the same file (another process):
// exactly one succeeds.
func TestSetupTokenUsedOnce(t *testing.T) {
	clock := newFakeClock()
	s, dbPath, _, token := newSetupStore(t, clock)
	other := openTestStoreAt(t, dbPath, storeOptions{now: clock.Now})
	stores := []*Store{s, s, other, other}

	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, st := range stores {
		wg.Go(func() {
			_, errs[i] = st.CompleteSetup(t.Context(), token, "root"+string(rune('a'+i)), "0123456789")
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrSetupComplete), errors.Is(err, ErrSetupTokenInvalid):
		default:
			t.Errorf("call %d: unexpected error %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful setups, want exactly 1 (errors: %v)", ok, errs)
	}
	var admins int
	if err := s.rdb.QueryRowContext(t.Context(), `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
		t.Fatal(err)
	}
	if admins != 1 {
		t.Errorf("got %d admins, want 1", admins)
	}
}

func TestEnsureSetupTokenArguments(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	tests := []struct {
		name string
		file string
		ttl  time.Duration
	}{
		{"no file", "", time.Hour},
		{"zero ttl", filepath.Join(t.TempDir(), "setup-token"), 0},
		{"missing directory", filepath.Join(t.TempDir(), "missing", "setup-token"), time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := s.EnsureSetupToken(t.Context(), tc.file, tc.ttl); err == nil {
				t.Errorf("got token %q and nil error, want an error", tok)
			}
		})
	}
}
