package admin

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// RoomModerators returns the users granted moderation of the room, by name.
func (s *Store) RoomModerators(ctx context.Context, slug string) ([]User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+prefixed("u.", userColumns)+` FROM room_moderators m
		JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id WHERE r.slug = ? ORDER BY u.username`, slug)
	if err != nil {
		return nil, fmt.Errorf("list moderators of room %q: %w", slug, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list moderators of room %q: %w", slug, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list moderators of room %q: %w", slug, err)
	}
	return out, nil
}

// prefixed qualifies each column of a ", "-separated list with p.
func prefixed(p, cols string) string { return p + strings.ReplaceAll(cols, ", ", ", "+p) }

// SetRoomModerators replaces the room's moderator grants with userIDs
// (admins and moderators only; members cannot moderate), auditing the change.
func (s *Store) SetRoomModerators(ctx context.Context, actor, slug string, userIDs []int64) error {
	if err := validateActor(actor); err != nil {
		return err
	}
	slices.Sort(userIDs)
	userIDs = slices.Compact(userIDs)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		row, err := readRoomRow(ctx, tx, slug)
		if err != nil {
			return err
		}
		current, err := grantedIDs(ctx, tx, row.id)
		if err != nil {
			return err
		}
		if slices.Equal(current, userIDs) {
			return nil // unchanged: nothing to write or audit
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM room_moderators WHERE room_id = ?`, row.id); err != nil {
			return fmt.Errorf("clear moderators: %w", err)
		}
		names := []string{}
		for _, id := range userIDs {
			u, err := userByID(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("moderator %d: %w", id, err)
			}
			if u.Role == RoleMember {
				return fmt.Errorf("moderator %q is a member: %w", u.Username, ErrInvalidRole)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO room_moderators (room_id, user_id) VALUES (?, ?)`, row.id, id); err != nil {
				return fmt.Errorf("grant moderator: %w", err)
			}
			names = append(names, u.Username)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "room.moderators", object: roomObject(row.slug),
			detail: map[string]any{"moderators": names}})
	})
	if err != nil {
		return fmt.Errorf("set moderators of room %q: %w", slug, err)
	}
	return nil
}

// ModeratedRoomIDs returns the IDs of the rooms userID created or was granted.
func (s *Store) ModeratedRoomIDs(ctx context.Context, userID int64) (map[int64]bool, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM rooms WHERE created_by = ?
		UNION SELECT room_id FROM room_moderators WHERE user_id = ?`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("rooms of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := make(map[int64]bool)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("rooms of user %d: %w", userID, err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rooms of user %d: %w", userID, err)
	}
	return out, nil
}

// grantedIDs returns the sorted user IDs granted the room.
func grantedIDs(ctx context.Context, tx *sql.Tx, roomID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM room_moderators WHERE room_id = ? ORDER BY user_id`, roomID)
	if err != nil {
		return nil, fmt.Errorf("read moderators: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read moderators: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
