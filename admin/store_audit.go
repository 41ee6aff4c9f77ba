package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one row of the audit log as the audit page shows it.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string
	Object string
	// Source is where the change came from (a client IP), if known.
	Source string
	// Detail is the JSON the change recorded; it never holds secrets.
	Detail string
}

// AuditField is one key of an audit entry's detail, formatted for people.
type AuditField struct{ Key, Value string }

// Fields returns the detail as sorted key/value pairs for display. Lists are
// joined with commas; a detail that is not a JSON object is shown whole.
func (e AuditEntry) Fields() []AuditField {
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &m); err != nil {
		return []AuditField{{Key: "detail", Value: e.Detail}}
	}
	keys := slices.Sorted(maps.Keys(m))
	out := make([]AuditField, 0, len(keys))
	for _, k := range keys {
		out = append(out, AuditField{Key: k, Value: auditValue(m[k])})
	}
	return out
}

func auditValue(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = auditValue(x)
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	case string:
		return v
	case nil:
		return "—"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	b, _ := json.Marshal(v) // a decoded JSON value always encodes
	return string(b)
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry
	Total   int
}

// maxAuditPage bounds one page of the audit log.
const maxAuditPage = 200

// ListAudit returns up to limit entries, newest first, skipping offset.
func (s *Store) ListAudit(ctx context.Context, offset, limit int) (AuditPage, error) {
	limit = min(max(limit, 1), maxAuditPage)
	offset = max(offset, 0)
	var p AuditPage
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&p.Total); err != nil {
		return AuditPage{}, fmt.Errorf("count audit log: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, at, actor, action, object, detail, source FROM audit_log
		ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.Source); err != nil {
			return AuditPage{}, fmt.Errorf("list audit log: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	return p, nil
}

// Audit records an action that changes nothing in the database (ending a
// meeting, removing a participant) so that the audit log still shows who did
// it, when and from where.
func (s *Store) Audit(ctx context.Context, actor, action, object string, detail map[string]any) error {
	if err := validateActor(actor); err != nil {
		return err
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := s.audit(ctx, tx, auditEntry{actor: actor, action: action, object: object, detail: detail}); err != nil {
		_ = tx.Rollback() // the insert failed; the rollback error adds nothing
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
