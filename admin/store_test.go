package admin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

func TestOpenStoreCreatesPrivateFile(t *testing.T) {
	s, path := openTestStore(t, storeOptions{})
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode: got %o, want 600", filepath.Base(p), got)
		}
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("ping: %v", err)
	}
}

// TestPooledPragmas is D2: every pooled connection, held at the same time,
// has the pragmas the DSN asks for.
func TestPooledPragmas(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	ctx := t.Context()
	pools := []struct {
		name string
		db   *sql.DB
		n    int
	}{
		{"read", s.rdb, readPoolSize},
		{"write", s.wdb, 1},
	}
	for _, p := range pools {
		t.Run(p.name, func(t *testing.T) {
			conns := make([]*sql.Conn, p.n)
			for i := range conns {
				c, err := p.db.Conn(ctx)
				if err != nil {
					t.Fatalf("conn %d: %v", i, err)
				}
				defer c.Close()
				conns[i] = c
			}
			for i, c := range conns {
				checkPragmas(t, ctx, i, c)
			}
		})
	}
}

func checkPragmas(t *testing.T, ctx context.Context, i int, c *sql.Conn) {
	t.Helper()
	var fk, busy int
	var journal string
	if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if fk != 1 || busy < 5000 || journal != "wal" {
		t.Errorf("conn %d: got foreign_keys=%d busy_timeout=%d journal_mode=%s, want 1, >=5000, wal", i, fk, busy, journal)
	}
}

// TestTxLockImmediate checks that modernc honours _txlock=immediate: a
// transaction on the store's DSN holds the write lock from BEGIN, before any
// statement, so another connection cannot start a write transaction.
func TestTxLockImmediate(t *testing.T) {
	ctx := t.Context()
	_, path := openTestStore(t, storeOptions{})
	tests := []struct {
		name     string
		dsn      string
		wantBusy bool
	}{
		{"store write DSN", writeDSN(path), true},
		{"deferred DSN", baseDSN(path), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			holder := openRawDB(t, tc.dsn)
			tx, err := holder.BeginTx(ctx, nil)
			if err != nil {
				t.Fatalf("begin: %v", err)
			}
			defer tx.Rollback()
			other := openRawDB(t, path+"?_pragma=busy_timeout(0)")
			_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE; ROLLBACK")
			code, _ := sqliteCode(err)
			if gotBusy := code == sqlite3.SQLITE_BUSY; gotBusy != tc.wantBusy {
				t.Errorf("second writer: got err %v, want busy=%v", err, tc.wantBusy)
			}
		})
	}
}

func openRawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReadPoolIsQueryOnly(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	_, err := s.rdb.ExecContext(t.Context(), `INSERT INTO settings (key, value) VALUES ('k', 'v')`)
	if code, _ := sqliteCode(err); code != sqlite3.SQLITE_READONLY {
		t.Errorf("write through read pool: got %v, want SQLITE_READONLY", err)
	}
}

// TestOpenRejectsForeignFiles checks that a file that is not a Conclave
// database gives ErrCorrupt with a clear message and is left byte for byte.
func TestOpenRejectsForeignFiles(t *testing.T) {
	random := make([]byte, 8192)
	rand.Read(random)
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"random bytes", func(t *testing.T, path string) {
			if err := os.WriteFile(path, random, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated sqlite header", func(t *testing.T, path string) {
			b := append([]byte("SQLite format 3\x00"), random[:2000]...)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"another application's database", func(t *testing.T, path string) {
			db := openRawDB(t, path)
			if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "conclave.db")
			tc.write(t, path)
			before := fileDigest(t, path)
			s, err := openStore(t.Context(), path, storeOptions{hash: cheapParams()})
			if err == nil {
				s.Close()
				t.Fatal("open: got nil error, want ErrCorrupt")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not a valid Conclave database") {
				t.Errorf("open: got %v, want ErrCorrupt saying the file is not a valid Conclave database", err)
			}
			if fileDigest(t, path) != before {
				t.Error("file changed, want it untouched")
			}
		})
	}
}

func TestOpenRejectsPathWithQuery(t *testing.T) {
	_, err := OpenStore(t.Context(), filepath.Join(t.TempDir(), "x.db?mode=memory"))
	if err == nil || !strings.Contains(err.Error(), "must not contain") {
		t.Errorf("got %v, want an error about the path", err)
	}
}

// TestCloseCheckpoints is D7 at store level: after Close the -wal file is
// empty or gone, and a second Close is harmless.
func TestCloseCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := openStore(t.Context(), path, storeOptions{hash: cheapParams()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := s.CreateAPIToken(t.Context(), ActorCLI, "token", 0); err != nil {
			t.Fatalf("create token %d: %v", i, err)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("before close: want a non-empty -wal file, got %v (err %v)", fi, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("after close: -wal has %d bytes, want empty or absent", fi.Size())
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat -wal: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: got %v, want nil", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("ping after close: got nil, want an error")
	}
}
