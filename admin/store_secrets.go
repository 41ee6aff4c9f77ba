package admin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

// Secret names kept in the settings table.
const (
	// SecretTURN keys the TURN REST credentials (HMAC) handed to clients.
	SecretTURN = "secret.turn"
)

// EnsureSecret returns the secret stored under name, generating and storing
// a random one on first use. Secrets live in the database so that a backup
// carries them and no secret is ever a default in code (STYLE.md B.6).
// Concurrent first calls agree on one value: the insert is conditional and
// the value is read back in the same write transaction.
func (s *Store) EnsureSecret(ctx context.Context, name string) ([]byte, error) {
	if v, err := s.secret(ctx, s.rdb, name); err == nil {
		return v, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	fresh := make([]byte, secretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	var out []byte
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
			name, base64.RawStdEncoding.EncodeToString(fresh)); err != nil {
			return fmt.Errorf("store secret %s: %w", name, err)
		}
		v, err := s.secret(ctx, tx, name)
		out = v
		return err
	})
	return out, err
}

func (s *Store) secret(ctx context.Context, q querier, name string) ([]byte, error) {
	var enc string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, name).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	v, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(v) != secretBytes {
		return nil, fmt.Errorf("secret %s in the database is damaged", name)
	}
	return v, nil
}
