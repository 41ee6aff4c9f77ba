package admin

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session lifetimes (OWASP Session Management Cheat Sheet): an admin session
// ends after 30 idle minutes, and after 12 hours whatever the activity.
const (
	sessionIdleTimeout     = 30 * time.Minute
	sessionAbsoluteTimeout = 12 * time.Hour
	// lastSeenGranularity limits last_seen_at updates to one write per
	// session per minute, so browsing does not turn every page view into a write.
	lastSeenGranularity = time.Minute
)

// CreateSession opens a session for a user and returns its ID, which exists
// only in the caller's hands (the cookie): the database keeps its SHA-256.
// Expired sessions of all users are deleted on the way.
func (s *Store) CreateSession(ctx context.Context, userID int64) (string, error) {
	id, digest, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("create session for user %d: %w", userID, err)
	}
	now := s.now().Unix()
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
			now, now-int64(sessionIdleTimeout/time.Second)); err != nil {
			return fmt.Errorf("delete expired sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, digest, userID, now, now, now+int64(sessionAbsoluteTimeout/time.Second))
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create session for user %d: %w", userID, err)
	}
	return id, nil
}

// SessionUser returns the user a session belongs to and slides its idle
// timeout. An unknown, idle, expired or malformed ID, or one whose user is
// disabled, gives ErrNotFound; an expired row is deleted.
func (s *Store) SessionUser(ctx context.Context, id string) (User, error) {
	if len(id) != sessionIDLen {
		return User{}, ErrNotFound
	}
	digest := sha256.Sum256([]byte(id))
	u, lastSeen, expires, err := sessionByDigest(ctx, s.rdb, digest[:])
	if err != nil {
		return User{}, fmt.Errorf("look up session: %w", err)
	}
	now := s.now()
	if !now.Before(expires) || now.Sub(lastSeen) >= sessionIdleTimeout || u.Disabled {
		if _, err := s.wdb.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, digest[:]); err != nil {
			return User{}, fmt.Errorf("delete expired session: %w", err)
		}
		return User{}, fmt.Errorf("look up session: expired: %w", ErrNotFound)
	}
	if now.Sub(lastSeen) >= lastSeenGranularity {
		if _, err := s.wdb.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`,
			now.Unix(), digest[:]); err != nil {
			return User{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return u, nil
}

// sessionIDLen is the length of a session ID: 32 bytes in unpadded base64url.
const sessionIDLen = 43

// DeleteSession ends a session (logout). Deleting an unknown session is not
// an error: the outcome, no such session, is the same.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	digest := sha256.Sum256([]byte(id))
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, digest[:]); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func sessionByDigest(ctx context.Context, q querier, digest []byte) (u User, lastSeen, expires time.Time, err error) {
	var created, updated, seen, exp int64
	err = q.QueryRowContext(ctx, `SELECT u.id, u.username, u.name, u.role, u.disabled, u.created_at, u.updated_at,
		s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, digest).
		Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Disabled, &created, &updated, &seen, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, time.Time{}, time.Time{}, ErrNotFound
	}
	if err != nil {
		return User{}, time.Time{}, time.Time{}, err
	}
	u.CreatedAt, u.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return u, time.Unix(seen, 0), time.Unix(exp, 0), nil
}
