package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// apiTokenPrefix marks Conclave API tokens, so that secret scanners and
	// people can recognise a leaked one.
	apiTokenPrefix = "cnv_"
	secretBytes    = 32
	maxTokenName   = 64
	// lastUsedGranularity limits last_used_at updates to one write per token
	// per minute, so a busy API client does not turn every read into a write.
	lastUsedGranularity = time.Minute
)

// APIToken describes an API token. The token itself is never stored: only its
// SHA-256 digest.
type APIToken struct {
	ID         int64
	Name       string
	UserID     int64 // 0: a service token not tied to a user
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: never expires
}

// newSecret returns 32 random bytes in unpadded base64url and the SHA-256
// digest of that text, which is what the database keeps.
func newSecret() (secret string, digest []byte, err error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read random: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:], nil
}

func validateTokenName(name string) error {
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTokenName {
		return ErrInvalidName
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return ErrInvalidName
		}
	}
	return nil
}

// CreateAPIToken creates a service API token and returns it; it is shown only
// this once. ttl 0 means the token never expires. actor is recorded in the
// audit log.
func (s *Store) CreateAPIToken(ctx context.Context, actor, name string, ttl time.Duration) (string, error) {
	return s.createAPIToken(ctx, actor, name, ttl, sql.NullInt64{})
}

// createAPIToken stores a new token, a service's (owner not Valid) or a
// user's, and audits it in the same transaction.
func (s *Store) createAPIToken(ctx context.Context, actor, name string, ttl time.Duration, owner sql.NullInt64) (string, error) {
	if err := errors.Join(validateTokenName(name), validateActor(actor)); err != nil {
		return "", fmt.Errorf("create api token %q: %w", name, err)
	}
	if ttl < 0 {
		return "", fmt.Errorf("create api token %q: negative ttl %s", name, ttl)
	}
	secret, digest, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("create api token %q: %w", name, err)
	}
	now := s.now()
	var expires sql.NullInt64
	if ttl > 0 {
		expires = sql.NullInt64{Int64: now.Add(ttl).Unix(), Valid: true}
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, token_hash, user_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, name, digest, owner, now.Unix(), expires).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert api token: %w", err)
		}
		detail := map[string]any{"name": name}
		if expires.Valid {
			detail["expires_at"] = expires.Int64
		}
		if owner.Valid {
			detail["user_id"] = owner.Int64
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "api_token.create",
			object: fmt.Sprintf("api_token:%d", id), detail: detail})
	})
	if err != nil {
		return "", fmt.Errorf("create api token %q: %w", name, err)
	}
	return apiTokenPrefix + secret, nil
}

// LookupAPIToken returns the token's record, or ErrNotFound if it is unknown,
// malformed or expired. It records when the token was last used, to the minute.
func (s *Store) LookupAPIToken(ctx context.Context, token string) (APIToken, error) {
	secret, ok := cutAPIToken(token)
	if !ok {
		return APIToken{}, ErrNotFound
	}
	digest := sha256.Sum256([]byte(secret))
	t, err := apiTokenByDigest(ctx, s.rdb, digest[:])
	if err != nil {
		return APIToken{}, fmt.Errorf("look up api token: %w", err)
	}
	now := s.now()
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return APIToken{}, fmt.Errorf("look up api token %d: expired: %w", t.ID, ErrNotFound)
	}
	if now.Sub(t.LastUsedAt) >= lastUsedGranularity {
		_, err := s.wdb.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now.Unix(), t.ID)
		if err != nil {
			return APIToken{}, fmt.Errorf("record api token %d use: %w", t.ID, err)
		}
		t.LastUsedAt = time.Unix(now.Unix(), 0).UTC()
	}
	return t, nil
}

// cutAPIToken checks the token's shape (prefix, length, alphabet) before any
// database access and returns the secret part.
func cutAPIToken(token string) (string, bool) {
	secret, ok := strings.CutPrefix(token, apiTokenPrefix)
	if !ok || base64.RawURLEncoding.DecodedLen(len(secret)) != secretBytes {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", false
	}
	return secret, true
}

func apiTokenByDigest(ctx context.Context, q querier, digest []byte) (APIToken, error) {
	var t APIToken
	var userID, lastUsed, expires sql.NullInt64
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, name, user_id, created_at, last_used_at, expires_at
		FROM api_tokens WHERE token_hash = ?`, digest).
		Scan(&t.ID, &t.Name, &userID, &created, &lastUsed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, ErrNotFound
	}
	if err != nil {
		return APIToken{}, err
	}
	t.UserID = userID.Int64
	t.CreatedAt = time.Unix(created, 0).UTC()
	t.LastUsedAt, t.ExpiresAt = unixOrZero(lastUsed), unixOrZero(expires)
	return t, nil
}
