package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// EnsureSetupToken prepares first-run setup. If an admin exists it removes a
// leftover setup token (row and file) and returns "". Otherwise it issues a
// fresh random token valid for ttl, replacing any earlier one, keeps only its
// SHA-256 digest in the database, writes the token to file with mode 0600
// (file's directory must exist) and returns it, for the caller to print once.
// Calling it on every start means a token never outlives a restart.
func (s *Store) EnsureSetupToken(ctx context.Context, file string, ttl time.Duration) (string, error) {
	if file == "" || ttl <= 0 {
		return "", fmt.Errorf("ensure setup token: need a file and a positive ttl (got %q, %s)", file, ttl)
	}
	token, digest, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("ensure setup token: %w", err)
	}
	issued := false
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		has, err := hasAdmin(ctx, tx)
		if err != nil {
			return fmt.Errorf("check for admin: %w", err)
		}
		if has {
			_, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`)
			return err
		}
		issued = true
		expires := s.now().Add(ttl).Unix()
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO setup_tokens (id, token_hash, expires_at)
			VALUES (1, ?, ?)`, digest, expires); err != nil {
			return fmt.Errorf("store setup token: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: ActorSystem, action: "setup.issue_token",
			detail: map[string]any{"expires_at": expires}})
	})
	if err != nil {
		return "", fmt.Errorf("ensure setup token: %w", err)
	}
	if !issued {
		if err := removeFile(file); err != nil {
			return "", fmt.Errorf("ensure setup token: %w", err)
		}
		return "", nil
	}
	if err := writeSecretFile(file, token+"\n"); err != nil {
		return "", fmt.Errorf("ensure setup token: %w", err)
	}
	return token, nil
}

// CheckSetupToken reports whether setup is open and token is the current,
// unexpired setup token: nil, ErrSetupComplete or ErrSetupTokenInvalid. It
// does not use the token up.
func (s *Store) CheckSetupToken(ctx context.Context, token string) error {
	if err := s.checkSetupToken(ctx, s.rdb, token); err != nil {
		return fmt.Errorf("check setup token: %w", err)
	}
	return nil
}

func (s *Store) checkSetupToken(ctx context.Context, q querier, token string) error {
	has, err := hasAdmin(ctx, q)
	if err != nil {
		return fmt.Errorf("check for admin: %w", err)
	}
	if has {
		return ErrSetupComplete
	}
	var stored []byte
	var expires int64
	err = q.QueryRowContext(ctx, `SELECT token_hash, expires_at FROM setup_tokens WHERE id = 1`).Scan(&stored, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrSetupTokenInvalid
	}
	if err != nil {
		return fmt.Errorf("read setup token: %w", err)
	}
	digest := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(digest[:], stored) != 1 || s.now().Unix() >= expires {
		return ErrSetupTokenInvalid
	}
	return nil
}

// CompleteSetup uses the setup token once to create the first admin account.
// The token check, the creation and the token's deletion happen in one
// write transaction, so of two concurrent calls with the same token exactly
// one succeeds. Errors: ErrSetupComplete, ErrSetupTokenInvalid, or a
// validation error for the username or password.
func (s *Store) CompleteSetup(ctx context.Context, token, username, password string) (User, error) {
	// Check the token before hashing, so that guessing tokens costs us a read
	// and not an Argon2id hash.
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return User{}, fmt.Errorf("complete setup: %w", err)
	}
	if err := errors.Join(validateUsername(username), validatePassword(password)); err != nil {
		return User{}, fmt.Errorf("complete setup: %w", err)
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("complete setup: %w", err)
	}
	var u User
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := s.checkSetupToken(ctx, tx, token); err != nil {
			return err
		}
		if u, err = s.insertUser(ctx, tx, NewUser{Username: username, Role: RoleAdmin}, hash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`); err != nil {
			return fmt.Errorf("delete setup token: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: ActorSetup, action: "user.create",
			object: userObject(u.Username), detail: map[string]any{"role": RoleAdmin}})
	})
	if err != nil {
		return User{}, fmt.Errorf("complete setup: %w", err)
	}
	return u, nil
}

// writeSecretFile replaces path with content atomically (temporary file in the
// same directory, then rename), with mode 0600 from the start.
func writeSecretFile(path, content string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeFile(f.Name()))
		}
	}()
	// CreateTemp creates the file with mode 0600, so the secret is never
	// readable by others, not even before the rename.
	if _, err := f.WriteString(content); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// removeFile removes path; a file that is already gone is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
