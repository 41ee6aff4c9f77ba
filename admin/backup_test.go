package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupWhileWriting is D4 at store level: backups taken while four
// writers run pass integrity_check, open with OpenStore, and hold everything
// committed before the backup started.
func TestBackupWhileWriting(t *testing.T) {
	s, path := openTestStore(t, storeOptions{})
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, NewUser{Username: "root", Password: "0123456789", Role: RoleAdmin, Actor: ActorCLI}); err != nil {
		t.Fatal(err)
	}

	writeCtx, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	var written atomic.Int64
	progress := make(chan struct{}, 1) // a writer committed since the last receive
	var wg sync.WaitGroup
	writeErrs := make([]error, 4)
	for w := range writeErrs {
		wg.Go(func() {
			for writeCtx.Err() == nil {
				_, err := s.CreateAPIToken(writeCtx, ActorCLI, fmt.Sprintf("w%d", w), 0)
				if err != nil && writeCtx.Err() == nil {
					writeErrs[w] = err
					return
				}
				written.Add(1)
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		})
	}

	dir := t.TempDir()
	var backups []string
	var before []int64
	for i := 0; i < 3; i++ {
		for range 20 { // let the writers commit more between backups
			select {
			case <-progress:
			case <-writeCtx.Done():
			}
		}
		dst := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		before = append(before, committedTokens(t, s))
		if err := s.BackupTo(ctx, dst); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		backups = append(backups, dst)
	}
	stop()
	wg.Wait()
	if err := errors.Join(writeErrs...); err != nil {
		t.Fatalf("writers: %v", err)
	}
	t.Logf("%d tokens written during %d backups", written.Load(), len(backups))

	for i, dst := range backups {
		checkBackup(t, dst, before[i])
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("source database: %v, %v", fi, err)
	}
}

func committedTokens(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	if err := s.rdb.QueryRowContext(t.Context(), `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkBackup verifies one backup file: mode 0600, integrity ok, opens as a
// store, and holds the admin and at least minTokens tokens.
func checkBackup(t *testing.T, dst string, minTokens int64) {
	t.Helper()
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode: got %o, want 600", filepath.Base(dst), fi.Mode().Perm())
	}
	raw, err := sql.Open("sqlite", dst+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	var integrity string
	err = raw.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&integrity)
	raw.Close()
	if err != nil || integrity != "ok" {
		t.Errorf("%s integrity_check: got %q, %v, want ok", filepath.Base(dst), integrity, err)
	}
	restored := openTestStoreAt(t, dst, storeOptions{})
	if _, err := restored.UserByUsername(t.Context(), "root"); err != nil {
		t.Errorf("%s: admin user: %v", filepath.Base(dst), err)
	}
	if got := committedTokens(t, restored); got < minTokens {
		t.Errorf("%s: got %d tokens, want at least %d committed before the backup", filepath.Base(dst), got, minTokens)
	}
}

func TestBackupRefusesExistingFile(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	dst := filepath.Join(t.TempDir(), "existing.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.BackupTo(t.Context(), dst); !errors.Is(err, ErrExists) {
		t.Errorf("got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Errorf("existing file changed to %q", b)
	}
}
