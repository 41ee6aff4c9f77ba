package admin

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// DefaultInviteTTL is how long an invite link works unless the caller says
// otherwise: long enough for a teacher to read mail over a weekend.
const DefaultInviteTTL = 7 * 24 * time.Hour

// CreateInvite makes a one-time link token with which username sets its own
// password. The token is returned once; the database keeps its SHA-256. A
// new invite replaces the user's older ones.
func (s *Store) CreateInvite(ctx context.Context, actor, username string, ttl time.Duration) (string, error) {
	if err := validateActor(actor); err != nil {
		return "", fmt.Errorf("invite %q: %w", username, err)
	}
	if ttl <= 0 {
		ttl = DefaultInviteTTL
	}
	token, digest, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("invite %q: %w", username, err)
	}
	now := s.now()
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete old invites: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invites (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			digest, u.ID, now.Unix(), now.Add(ttl).Unix()); err != nil {
			return fmt.Errorf("insert invite: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "user.invite", object: userObject(u.Username),
			detail: map[string]any{"expires_at": now.Add(ttl).Unix()}})
	})
	if err != nil {
		return "", fmt.Errorf("invite %q: %w", username, err)
	}
	return token, nil
}

// inviteDigest checks the token's shape before any database access.
func inviteDigest(token string) ([]byte, bool) {
	if len(token) != sessionIDLen {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:], true
}

// InviteUser returns the user an invite token is for, or ErrInviteInvalid
// if it is unknown, used, expired or its account is disabled.
func (s *Store) InviteUser(ctx context.Context, token string) (User, error) {
	u, err := s.inviteUser(ctx, s.rdb, token)
	if err != nil {
		return User{}, fmt.Errorf("check invite: %w", err)
	}
	return u, nil
}

func (s *Store) inviteUser(ctx context.Context, q querier, token string) (User, error) {
	digest, ok := inviteDigest(token)
	if !ok {
		return User{}, ErrInviteInvalid
	}
	var userID, expires int64
	err := q.QueryRowContext(ctx, `SELECT user_id, expires_at FROM invites WHERE token_hash = ?`, digest).
		Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrInviteInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("read invite: %w", err)
	}
	if s.now().Unix() >= expires {
		return User{}, ErrInviteInvalid
	}
	u, err := userByID(ctx, q, userID)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrInviteInvalid
	}
	return u, nil
}

// RedeemInvite sets the password of the invite's user and spends the token,
// in one transaction: of two concurrent redemptions exactly one succeeds.
// The user's sessions end, as with any password change.
func (s *Store) RedeemInvite(ctx context.Context, token, password string) (User, error) {
	if _, err := s.InviteUser(ctx, token); err != nil {
		return User{}, err // cheap check before hashing
	}
	if err := validatePassword(password); err != nil {
		return User{}, fmt.Errorf("redeem invite: %w", err)
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("redeem invite: %w", err)
	}
	var u User
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if u, err = s.inviteUser(ctx, tx, token); err != nil {
			return err
		}
		digest, _ := inviteDigest(token)
		if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE token_hash = ?`, digest); err != nil {
			return fmt.Errorf("spend invite: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
			hash, s.now().Unix(), u.ID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: userObject(u.Username), action: "user.redeem_invite",
			object: userObject(u.Username)})
	})
	if err != nil {
		return User{}, fmt.Errorf("redeem invite: %w", err)
	}
	return u, nil
}
