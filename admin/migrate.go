package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// gooseTable is goose's default version table.
const gooseTable = "goose_db_version"

// newMigrator builds the goose provider for fsys and returns the newest
// version fsys holds.
func newMigrator(db *sql.DB, fsys fs.FS) (*goose.Provider, int64, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, 0, fmt.Errorf("load migrations: %w", err)
	}
	var latest int64
	for _, src := range p.ListSources() {
		latest = max(latest, src.Version)
	}
	return p, latest, nil
}

// checkFile checks, before anything writes to it, that path is an empty or
// Conclave database whose schema is not newer than fsys. It reads through a
// query-only connection that sets no persistent pragma: journal_mode=WAL
// alone would rewrite the header of another application's database.
func checkFile(ctx context.Context, path string, fsys fs.FS) (err error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_query_only=1")
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	db.SetMaxOpenConns(1)
	_, latest, err := newMigrator(db, fsys)
	if err != nil {
		return err
	}
	if err := checkCompatible(ctx, db, latest); err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	return nil
}

// checkCompatible refuses a database that is not ours or whose schema is newer
// than latest.
func checkCompatible(ctx context.Context, db *sql.DB, latest int64) error {
	hasGoose, err := tableExists(ctx, db, gooseTable)
	if err != nil {
		return fmt.Errorf("read schema: %w", markCorrupt(err))
	}
	if !hasGoose {
		var objects int
		err := db.QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'`).Scan(&objects)
		if err != nil {
			return fmt.Errorf("read schema: %w", markCorrupt(err))
		}
		if objects > 0 {
			return fmt.Errorf("%w: it holds %d tables or indexes but no schema version", ErrCorrupt, objects)
		}
		return nil
	}
	current, err := recordedVersion(ctx, db)
	if err != nil {
		return markCorrupt(err)
	}
	if current > latest {
		return &SchemaTooNewError{DBVersion: current, Supported: latest}
	}
	return nil
}

// migrate applies the pending migrations in fsys to db. Each migration runs in
// its own transaction (goose), so a failing one leaves the schema at the
// previous version with none of its objects.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	p, latest, err := newMigrator(db, fsys)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		// Two processes starting on a fresh database (the server and the
		// admin CLI) can both see a migration as pending; the second one's
		// transaction then fails on objects the first has just created.
		// That is success as long as the schema did reach the latest version.
		if v, verr := recordedVersion(ctx, db); verr == nil && v >= latest {
			return nil
		}
		var pe *goose.PartialError
		if errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
			return fmt.Errorf("migrate schema: apply %s: %w", pe.Failed.Source.Path, pe.Err)
		}
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// recordedVersion returns the newest migration version applied to db, or 0
// for a database that has none.
func recordedVersion(ctx context.Context, db querier) (int64, error) {
	has, err := tableExists(ctx, db, gooseTable)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !has {
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM `+gooseTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v.Int64, nil
}

func tableExists(ctx context.Context, db querier, name string) (bool, error) {
	var has bool
	err := db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)`, name).Scan(&has)
	return has, err
}

// SchemaTooNewError reports a database written by a newer Conclave. It matches
// ErrSchemaTooNew with errors.Is.
type SchemaTooNewError struct {
	DBVersion int64 // newest migration recorded in the database
	Supported int64 // newest migration this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this conclave (%d); upgrade conclave or restore a backup",
		e.DBVersion, e.Supported)
}

// Unwrap makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaTooNewError) Unwrap() error { return ErrSchemaTooNew }
