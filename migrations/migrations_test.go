package migrations_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"conclave/migrations"
)

// openDB opens a fresh database with the pragmas the store uses that matter
// for the schema (foreign keys on).
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func newProvider(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatalf("new provider: %v", err)
	}
	return p
}

func TestFileNames(t *testing.T) {
	names, err := fs.Glob(migrations.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("got no embedded migrations, want at least one")
	}
	valid := regexp.MustCompile(`^\d{5}_[a-z0-9_]+\.sql$`)
	for _, n := range names {
		if !valid.MatchString(n) {
			t.Errorf("migration file %q does not match NNNNN_description.sql", n)
		}
	}
}

func TestUpDownUp(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	p := newProvider(t, db)
	sources := p.ListSources()
	latest := sources[len(sources)-1].Version

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'goose_db_version'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("after down: got %d tables left, want 0", n)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("second up: %v", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != latest {
		t.Errorf("version: got %d, want %d", v, latest)
	}
}

// TestConstraints checks the rules the schema itself enforces, so that they
// hold even for rows written outside the admin package.
func TestConstraints(t *testing.T) {
	ctx := t.Context()
	db := openDB(t)
	if _, err := newProvider(t, db).Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	hash := "x'" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" + "'"
	setup := []string{
		`INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (1, 'Alice', 'h', 'admin', 0, 0)`,
		`INSERT INTO rooms (id, slug, name, created_by, created_at) VALUES (1, 'team', 'Team', 1, 0)`,
		`INSERT INTO room_moderators (room_id, user_id) VALUES (1, 1)`,
		`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES (` + hash + `, 1, 0, 0, 1)`,
		`INSERT INTO api_tokens (name, token_hash, user_id, created_at) VALUES ('t', ` + hash + `, 1, 0)`,
		`INSERT INTO setup_tokens (id, token_hash, expires_at) VALUES (1, ` + hash + `, 1)`,
	}
	for _, q := range setup {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rejected := []struct {
		name  string
		query string
	}{
		{"username differing only in case", `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('ALICE', 'h', 'member', 0, 0)`},
		{"unknown role", `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('bob', 'h', 'owner', 0, 0)`},
		{"text timestamp in strict table", `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('bob', 'h', 'member', 'yesterday', 0)`},
		{"second setup token", `INSERT INTO setup_tokens (id, token_hash, expires_at) VALUES (2, ` + hash + `, 1)`},
		{"invalid room settings JSON", `INSERT INTO rooms (slug, name, created_at, settings) VALUES ('x', 'x', 0, '{')`},
		{"room slug differing only in case", `INSERT INTO rooms (slug, name, created_at) VALUES ('TEAM', 'x', 0)`},
		{"session for missing user", `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES (zeroblob(32), 99, 0, 0, 1)`},
		{"short token hash", `INSERT INTO api_tokens (name, token_hash, created_at) VALUES ('t', x'00', 0)`},
		{"invalid audit detail", `INSERT INTO audit_log (at, actor, action, detail) VALUES (0, 'cli', 'x', 'not json')`},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, tc.query); err == nil {
				t.Errorf("got nil error, want a constraint violation")
			}
		})
	}

	// Deleting the user cascades to sessions, moderators and tokens, and keeps the room.
	if _, err := db.ExecContext(ctx, `DELETE FROM users WHERE id = 1`); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	counts := []struct {
		query string
		want  int
	}{
		{`SELECT count(*) FROM sessions`, 0},
		{`SELECT count(*) FROM room_moderators`, 0},
		{`SELECT count(*) FROM api_tokens`, 0},
		{`SELECT count(*) FROM rooms WHERE created_by IS NULL`, 1},
	}
	for _, c := range counts {
		var got int
		if err := db.QueryRowContext(ctx, c.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got != c.want {
			t.Errorf("%s: got %d, want %d", c.query, got, c.want)
		}
	}
}
