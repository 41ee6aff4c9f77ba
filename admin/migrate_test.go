package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"conclave/migrations"
)

// embeddedLatest is the newest migration version this binary carries.
func embeddedLatest(t *testing.T) int64 {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("list migrations: %v (%d files)", err, len(names))
	}
	last := names[len(names)-1] // Glob sorts; names start with a zero-padded version
	v, err := strconv.ParseInt(last[:strings.IndexByte(last, '_')], 10, 64)
	if err != nil {
		t.Fatalf("version of %s: %v", last, err)
	}
	return v
}

// TestMigrateFreshAndReopen is D5: a fresh database reaches the latest version
// and opening it again changes nothing.
func TestMigrateFreshAndReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "conclave.db")
	want := embeddedLatest(t)
	for i := range 2 {
		s, err := openStore(ctx, path, storeOptions{hash: cheapParams()})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rows int
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// goose records version 0 plus one row per migration.
		if v != want || rows != int(want)+1 {
			t.Errorf("open %d: got version %d with %d version rows, want %d with %d", i, v, rows, want, want+1)
		}
	}
}

// TestMigrateRefusesNewerSchema is D5: a database from a newer release is
// refused with a message naming both versions, and left untouched.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := openStore(ctx, path, storeOptions{hash: cheapParams()})
	if err != nil {
		t.Fatal(err)
	}
	latest := embeddedLatest(t)
	newer := latest + 6
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, newer); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileDigest(t, path)

	s, err = openStore(ctx, path, storeOptions{hash: cheapParams()})
	if err == nil {
		s.Close()
		t.Fatal("open: got nil error, want ErrSchemaTooNew")
	}
	var tooNew *SchemaTooNewError
	if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &tooNew) {
		t.Fatalf("open: got %v, want ErrSchemaTooNew", err)
	}
	if tooNew.DBVersion != newer || tooNew.Supported != latest {
		t.Errorf("versions: got db %d supported %d, want %d and %d", tooNew.DBVersion, tooNew.Supported, newer, latest)
	}
	wantMsg := fmt.Sprintf("database schema version %d is newer than this conclave (%d); upgrade conclave or restore a backup",
		newer, latest)
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("message: got %q, want it to contain %q", err, wantMsg)
	}
	if fileDigest(t, path) != before {
		t.Error("database file changed, want it untouched")
	}
}

// TestMigrateFailureIsAtomic is D5: a migration that fails halfway leaves the
// version at the previous one and none of its objects.
func TestMigrateFailureIsAtomic(t *testing.T) {
	ctx := t.Context()
	initial, err := fs.ReadFile(migrations.FS, "00001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	broken := fstest.MapFS{
		"00001_initial.sql": {Data: initial},
		"00002_broken.sql": {Data: []byte("-- +goose Up\n" +
			"CREATE TABLE partial (x INTEGER);\n" +
			"INSERT INTO settings (key, value) VALUES ('partial', 'yes');\n" +
			"THIS IS NOT SQL;\n" +
			"-- +goose Down\nDROP TABLE partial;\n")},
	}
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := openStore(ctx, path, storeOptions{migrations: broken, hash: cheapParams()})
	if err == nil {
		s.Close()
		t.Fatal("open with broken migration: got nil error, want one")
	}
	if !strings.Contains(err.Error(), "00002_broken.sql") {
		t.Errorf("error %q does not name the failing migration", err)
	}

	s = openTestStoreAt(t, path, storeOptions{migrations: fstest.MapFS{"00001_initial.sql": {Data: initial}}})
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("version: got %d, want 1", v)
	}
	checks := []struct {
		name  string
		query string
	}{
		{"table partial", `SELECT count(*) FROM sqlite_schema WHERE name = 'partial'`},
		{"settings row", `SELECT count(*) FROM settings WHERE key = 'partial'`},
	}
	for _, c := range checks {
		var n int
		if err := s.rdb.QueryRowContext(ctx, c.query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: got %d, want 0 (partial migration left behind)", c.name, n)
		}
	}
}
