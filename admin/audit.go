package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// auditEntry is one row of the audit log. detail must never hold secrets.
type auditEntry struct {
	actor  string
	action string
	object string
	detail map[string]any
}

// audit appends e to the audit log inside tx, so the record commits or rolls
// back with the change it describes.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, e auditEntry) error {
	detail := []byte("{}")
	if len(e.detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.detail); err != nil {
			return fmt.Errorf("encode audit detail: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, object, detail, source)
		VALUES (?, ?, ?, ?, ?, ?)`, s.now().Unix(), e.actor, e.action, e.object, string(detail), auditSource(ctx))
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// validateActor rejects an empty actor: every change must say who made it.
func validateActor(actor string) error {
	if actor == "" || len(actor) > 128 {
		return errors.New("admin: audit actor must be 1 to 128 bytes")
	}
	return nil
}

type auditSourceKey struct{}

// WithAuditSource returns ctx carrying where a change comes from (a client
// IP address); audit entries written under it record it.
func WithAuditSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, auditSourceKey{}, source)
}

func auditSource(ctx context.Context) string {
	s, _ := ctx.Value(auditSourceKey{}).(string)
	return s
}
