package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// BackupTo writes a consistent copy of the database to dst with VACUUM INTO,
// while other connections keep reading and writing: the copy is the snapshot
// of one read transaction. dst must not exist (ErrExists); it is created with
// mode 0600 and synced to disk. The copy opens with OpenStore.
func (s *Store) BackupTo(ctx context.Context, dst string) (err error) {
	// Creating dst first claims the name atomically (O_EXCL) with our mode;
	// VACUUM INTO accepts an existing empty file.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup to %s: %w", dst, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return errors.Join(fmt.Errorf("backup to %s: %w", dst, err), removeFile(dst))
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeFile(dst))
		}
	}()
	if err := s.vacuumInto(ctx, dst); err != nil {
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	return syncFile(dst)
}

// vacuumInto runs VACUUM INTO on a connection of its own. It only reads this
// database, but the read pool's query_only forbids it (it writes a file) and
// the write pool's single connection would hold up every writer meanwhile.
func (s *Store) vacuumInto(ctx context.Context, dst string) (err error) {
	db, err := sql.Open("sqlite", baseDSN(s.path))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dst)
	return err
}

// syncFile flushes path to stable storage; VACUUM INTO leaves that to us.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("sync %s: %w", path, err), f.Close())
	}
	return f.Close()
}
