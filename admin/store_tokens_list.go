package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APITokenInfo is a token as the tokens page lists it, with its owner's name.
type APITokenInfo struct {
	APIToken
	// Owner is the owning user's name; empty for a service token.
	Owner string
}

// CreateUserAPIToken creates a token that acts as user userID (with that
// user's role) and returns it; it is shown only this once. ttl 0 means it
// never expires.
func (s *Store) CreateUserAPIToken(ctx context.Context, actor string, userID int64, name string, ttl time.Duration) (string, error) {
	return s.createAPIToken(ctx, actor, name, ttl, sql.NullInt64{Int64: userID, Valid: true})
}

// ListAPITokens returns the tokens of userID, or every token when userID is 0, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]APITokenInfo, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT t.id, t.name, t.user_id, t.created_at, t.last_used_at,
		t.expires_at, coalesce(u.username, '') FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
		WHERE ? = 0 OR t.user_id = ? ORDER BY t.id DESC`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer rows.Close()
	var out []APITokenInfo
	for rows.Next() {
		var t APITokenInfo
		var uid, lastUsed, expires sql.NullInt64
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &uid, &created, &lastUsed, &expires, &t.Owner); err != nil {
			return nil, fmt.Errorf("list api tokens: %w", err)
		}
		t.UserID, t.CreatedAt = uid.Int64, time.Unix(created, 0).UTC()
		t.LastUsedAt, t.ExpiresAt = unixOrZero(lastUsed), unixOrZero(expires)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken deletes token id. With ownerID not 0 only that user's token
// may go; any other gives ErrNotFound, as does an unknown id.
func (s *Store) RevokeAPIToken(ctx context.Context, actor string, id, ownerID int64) error {
	if err := validateActor(actor); err != nil {
		return err
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND (? = 0 OR user_id = ?)`, id, ownerID, ownerID)
		if err != nil {
			return fmt.Errorf("delete api token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(ErrNotFound, err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "api_token.revoke", object: fmt.Sprintf("api_token:%d", id)})
	})
	if err != nil {
		return fmt.Errorf("revoke api token %d: %w", id, err)
	}
	return nil
}
