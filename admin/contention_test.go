package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

const (
	contentionWorkers = 8
	contentionTxs     = 150
)

// readThenWrite is one transaction of the D1 harness: read a counter, then
// write it back incremented. This is the pattern that deferred transactions
// cannot survive under contention (SQLITE_BUSY despite busy_timeout).
func readThenWrite(ctx context.Context, begin func(context.Context) (*sql.Tx, error)) error {
	tx, err := begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'counter'`).Scan(&v); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE key = 'counter'`, fmt.Sprint(v+1)); err != nil {
		return err
	}
	return tx.Commit()
}

// contend runs workers x txs read-then-write transactions, worker i using
// begins[i % len(begins)], and returns how many failed with SQLITE_BUSY. Any
// other error fails the test.
func contend(t *testing.T, begins []func(context.Context) (*sql.Tx, error)) (busy int) {
	t.Helper()
	ctx := t.Context()
	var mu sync.Mutex
	var other []error
	var wg sync.WaitGroup
	for w := range contentionWorkers {
		begin := begins[w%len(begins)]
		wg.Go(func() {
			for range contentionTxs {
				err := readThenWrite(ctx, begin)
				code, _ := sqliteCode(err)
				mu.Lock()
				switch {
				case err == nil:
				case code == sqlite3.SQLITE_BUSY:
					busy++
				default:
					other = append(other, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(other...); err != nil {
		t.Fatalf("unexpected errors: %v", err)
	}
	return busy
}

func seedCounter(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.wdb.ExecContext(t.Context(), `INSERT INTO settings (key, value) VALUES ('counter', '0')`); err != nil {
		t.Fatal(err)
	}
}

func counterValue(t *testing.T, s *Store) int {
	t.Helper()
	var v int
	if err := s.rdb.QueryRowContext(t.Context(), `SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'counter'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// pooledBegin opens a pool of contentionWorkers connections on dsn, so that
// every worker has its own connection and SQLite, not database/sql, arbitrates.
func pooledBegin(t *testing.T, dsn string) func(context.Context) (*sql.Tx, error) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(contentionWorkers)
	t.Cleanup(func() { db.Close() })
	return func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) }
}

// TestContention is D1. The store's write DSN gives zero SQLITE_BUSY even when
// every worker has its own connection; a naive DSN (same pragmas, deferred
// transactions) does fail, which proves the harness can see the problem.
func TestContention(t *testing.T) {
	tests := []struct {
		name     string
		dsn      func(path string) string
		wantBusy bool
	}{
		{"store write DSN, 8 connections", writeDSN, false},
		{"naive DSN without _txlock=immediate, 8 connections", baseDSN, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openTestStore(t, storeOptions{})
			seedCounter(t, s)
			busy := contend(t, []func(context.Context) (*sql.Tx, error){pooledBegin(t, tc.dsn(path))})
			t.Logf("%d of %d transactions failed with SQLITE_BUSY", busy, contentionWorkers*contentionTxs)
			if tc.wantBusy && busy == 0 {
				t.Errorf("got 0 SQLITE_BUSY, want some: the harness no longer detects the deferred-transaction failure")
			}
			if !tc.wantBusy {
				if busy != 0 {
					t.Errorf("got %d SQLITE_BUSY, want 0", busy)
				}
				if got, want := counterValue(t, s), contentionWorkers*contentionTxs; got != want {
					t.Errorf("counter: got %d, want %d (lost updates)", got, want)
				}
			}
		})
	}
}

// TestContentionTwoStores is D1 through OpenStore itself: two stores on one
// file, as the server and the admin CLI run side by side, each writing through
// its own write pool.
func TestContentionTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	a := openTestStoreAt(t, path, storeOptions{})
	b := openTestStoreAt(t, path, storeOptions{})
	seedCounter(t, a)
	begins := []func(context.Context) (*sql.Tx, error){
		func(ctx context.Context) (*sql.Tx, error) { return a.wdb.BeginTx(ctx, nil) },
		func(ctx context.Context) (*sql.Tx, error) { return b.wdb.BeginTx(ctx, nil) },
	}
	busy := contend(t, begins)
	if busy != 0 {
		t.Errorf("got %d SQLITE_BUSY, want 0", busy)
	}
	if got, want := counterValue(t, a), contentionWorkers*contentionTxs; got != want {
		t.Errorf("counter: got %d, want %d (lost updates)", got, want)
	}
}
