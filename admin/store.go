// Package admin is Conclave's admin surface: the SQLite store (users, API
// tokens, first-run setup, audit log, backups) and the admin web handler.
package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"conclave/migrations"
)

// readPoolSize bounds the read connections. Admin traffic is light; four lets
// a few page loads and API calls read in parallel under WAL.
const readPoolSize = 4

// Store is Conclave's database. It is safe for concurrent use.
//
// It keeps two pools on the same file. All writes go through wdb, a single
// connection whose transactions start with BEGIN IMMEDIATE, so writers in this
// process queue in database/sql rather than fight over SQLite's lock, and a
// writer in another process (the admin CLI) waits on busy_timeout instead of
// failing with SQLITE_BUSY. Reads go through rdb, a small pool of query-only
// connections that WAL lets run alongside the writer.
type Store struct {
	path   string
	rdb    *sql.DB
	wdb    *sql.DB
	hasher *hasher
	// now is the clock; tests replace it through storeOptions.
	now func() time.Time

	closeOnce sync.Once
	closeErr  error
}

// storeOptions are the knobs tests turn; OpenStore uses the defaults.
type storeOptions struct {
	migrations fs.FS
	now        func() time.Time
	hash       argonParams
}

// OpenStore opens (creating if needed) the database at path and brings its
// schema up to date. It refuses, without changing the file, a database whose
// schema is newer than this binary (ErrSchemaTooNew) and a file that is not a
// Conclave database (ErrCorrupt). The caller must Close the store.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	return openStore(ctx, path, storeOptions{})
}

func openStore(ctx context.Context, path string, opts storeOptions) (*Store, error) {
	if opts.migrations == nil {
		opts.migrations = migrations.FS
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	if opts.hash == (argonParams{}) {
		opts.hash = defaultArgonParams()
	}
	if err := createDBFile(path); err != nil {
		return nil, err
	}
	if err := checkFile(ctx, path, opts.migrations); err != nil {
		return nil, err
	}
	wdb, err := openPool(ctx, path, writeDSN(path), 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, wdb, opts.migrations); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), wdb.Close())
	}
	rdb, err := openPool(ctx, path, readDSN(path), readPoolSize)
	if err != nil {
		return nil, errors.Join(err, wdb.Close())
	}
	return &Store{path: path, rdb: rdb, wdb: wdb, hasher: newHasher(opts.hash, maxConcurrentHashes), now: opts.now}, nil
}

// createDBFile creates a missing database file with mode 0600 before SQLite
// does (SQLite would use 0644); SQLite gives the -wal and -shm files the same
// mode as the database.
func createDBFile(path string) error {
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("database path %q: must not contain '?' or '#'", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	return f.Close()
}

// baseDSN sets the pragmas every connection needs. busy_timeout comes first so
// that the pragmas after it wait for a lock instead of failing (modernc also
// sorts it first).
func baseDSN(path string) string {
	return path + "?_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(ON)" +
		"&_pragma=synchronous(NORMAL)"
}

// writeDSN adds _txlock=immediate: a deferred transaction that reads and then
// writes cannot be rescued by busy_timeout once another connection has
// written (SQLITE_BUSY_SNAPSHOT), so write transactions take the lock at BEGIN.
func writeDSN(path string) string {
	return baseDSN(path) + "&_txlock=immediate"
}

// readDSN makes read connections query-only, so a write sent to the wrong pool
// fails loudly instead of competing with the writer.
func readDSN(path string) string {
	return baseDSN(path) + "&_txlock=deferred&_query_only=1"
}

// openPool opens a pool and pings it, so that an unreadable or foreign file
// fails here with a clear error.
func openPool(ctx context.Context, path, dsn string, size int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, markCorrupt(err)), db.Close())
	}
	return db, nil
}

// markCorrupt adds ErrCorrupt to SQLite's "not a database" and "malformed" errors.
func markCorrupt(err error) error {
	if code, ok := sqliteCode(err); ok && (code == sqlite3.SQLITE_NOTADB || code == sqlite3.SQLITE_CORRUPT) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// sqliteCode returns the primary SQLite result code of err, if it has one.
func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0, false
	}
	return se.Code() & 0xff, true
}

// Close checkpoints the write-ahead log into the database file and closes the
// store, so the files on disk are complete on their own (a copy of the .db file
// alone is a full copy). It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		rerr := s.rdb.Close()
		// TRUNCATE empties the -wal file. If another process still has the
		// database open, the checkpoint may be partial; that process's last
		// close finishes it.
		_, cerr := s.wdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		if cerr != nil {
			cerr = fmt.Errorf("checkpoint database: %w", cerr)
		}
		s.closeErr = errors.Join(rerr, cerr, s.wdb.Close())
	})
	return s.closeErr
}

// Ping checks that both connection pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database (read): %w", err)
	}
	if err := s.wdb.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database (write): %w", err)
	}
	return nil
}

// SchemaVersion returns the version of the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	return recordedVersion(ctx, s.rdb)
}

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if fn
// returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// querier is what read helpers need, so that they work both on the read pool
// and inside a write transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// unixOrZero turns a nullable Unix-seconds column into a time; NULL is the zero time.
func unixOrZero(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}
