package admin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Rotation keeps the replaced secret under name+previousSuffix, and when it
// was replaced under name+rotatedSuffix, so that credentials minted just
// before a rotation keep working for a grace period.
const (
	previousSuffix = ".previous"
	rotatedSuffix  = ".rotated_at"
)

// SecretVersions are the current secret of a name and, within a grace
// period after a rotation, the one it replaced.
type SecretVersions struct {
	Current   []byte
	Previous  []byte    // nil if never rotated
	RotatedAt time.Time // zero if never rotated
}

// Secrets returns the versions of the secret name; it must exist (see
// EnsureSecret).
func (s *Store) Secrets(ctx context.Context, name string) (SecretVersions, error) {
	var v SecretVersions
	var err error
	if v.Current, err = s.secret(ctx, s.rdb, name); err != nil {
		return v, err
	}
	if v.Previous, err = s.secret(ctx, s.rdb, name+previousSuffix); err != nil && !errors.Is(err, ErrNotFound) {
		return v, err
	}
	var at string
	err = s.rdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, name+rotatedSuffix).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return v, fmt.Errorf("read rotation time of %s: %w", name, err)
	default:
		sec, perr := strconv.ParseInt(at, 10, 64)
		if perr != nil {
			return v, fmt.Errorf("rotation time of %s in the database is damaged", name)
		}
		v.RotatedAt = time.Unix(sec, 0).UTC()
	}
	return v, nil
}

// RotateSecret replaces the secret name with a new random one, keeping the
// old one as the previous version, in one audited transaction.
func (s *Store) RotateSecret(ctx context.Context, actor, name string) error {
	if err := validateActor(actor); err != nil {
		return err
	}
	fresh := make([]byte, secretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return fmt.Errorf("generate secret %s: %w", name, err)
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := s.secret(ctx, tx, name)
		if err != nil {
			return err
		}
		rows := []struct{ key, value string }{
			{name + previousSuffix, base64.RawStdEncoding.EncodeToString(old)},
			{name, base64.RawStdEncoding.EncodeToString(fresh)},
			{name + rotatedSuffix, strconv.FormatInt(s.now().Unix(), 10)},
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, r.key, r.value); err != nil {
				return fmt.Errorf("store secret %s: %w", r.key, err)
			}
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "secret.rotate", object: name})
	})
}
