package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// RoomUpdate is the input to UpdateRoom: nil fields stay as they are. The
// slug cannot change, since meeting links carry it.
type RoomUpdate struct {
	Name   *string
	Access *string
	// Password replaces the room password. Changing Access away from
	// AccessPassword drops the stored password.
	Password        *string
	Lobby           *bool
	MaxParticipants *int
	E2EERequired    *bool
	SchoolMode      *bool
}

// LogValue keeps the room password out of logs.
func (u RoomUpdate) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("password_set", u.Password != nil))
}

// changed names the fields u sets, for the audit log.
func (u RoomUpdate) changed() []string {
	var f []string
	for _, c := range []struct {
		name string
		set  bool
	}{{"name", u.Name != nil}, {"access", u.Access != nil}, {"password", u.Password != nil},
		{"lobby", u.Lobby != nil}, {"max_participants", u.MaxParticipants != nil},
		{"e2ee_required", u.E2EERequired != nil}, {"school_mode", u.SchoolMode != nil}} {
		if c.set {
			f = append(f, c.name)
		}
	}
	return f
}

// UpdateRoom changes the fields u sets, validating the room as it will be,
// and audits the change in the same transaction. An unknown slug gives
// ErrNotFound.
func (s *Store) UpdateRoom(ctx context.Context, actor, slug string, u RoomUpdate) (Room, error) {
	if err := validateActor(actor); err != nil {
		return Room{}, fmt.Errorf("update room %q: %w", slug, err)
	}
	var newHash string
	if u.Password != nil && *u.Password != "" {
		// Hash outside the transaction: it is slow, and the single writer
		// connection must not wait for it.
		if err := validatePassword(*u.Password); err != nil {
			return Room{}, fmt.Errorf("update room %q: %w", slug, err)
		}
		var err error
		if newHash, err = s.hasher.hash(ctx, *u.Password); err != nil {
			return Room{}, fmt.Errorf("update room %q: %w", slug, err)
		}
	}
	var room Room
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if room, err = s.applyRoomUpdate(ctx, tx, slug, u, newHash); err != nil {
			return err
		}
		detail := roomAuditDetail(room)
		detail["changed"] = u.changed()
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "room.update", object: roomObject(room.Slug),
			detail: detail})
	})
	if err != nil {
		return Room{}, fmt.Errorf("update room %q: %w", slug, err)
	}
	return room, nil
}

// applyRoomUpdate reads the room inside tx, merges u into it, validates the
// result and writes it back.
func (s *Store) applyRoomUpdate(ctx context.Context, tx *sql.Tx, slug string, u RoomUpdate, newHash string) (Room, error) {
	row, err := readRoomRow(ctx, tx, slug)
	if err != nil {
		return Room{}, err
	}
	if u.Name != nil {
		row.name = *u.Name
	}
	set := &row.settings
	if u.Access != nil {
		set.Access = *u.Access
		if *u.Access != AccessPassword {
			set.PasswordHash = ""
		}
	}
	if u.Password != nil {
		set.PasswordHash = newHash
	}
	if u.Lobby != nil {
		set.Lobby = *u.Lobby
	}
	if u.MaxParticipants != nil {
		set.MaxParticipants = *u.MaxParticipants
	}
	if u.SchoolMode != nil {
		set.SchoolMode = *u.SchoolMode
	}
	if u.E2EERequired != nil {
		set.E2EERequired = u.E2EERequired
	}
	if err := errors.Join(validateTokenName(row.name), validateRoomPolicy(set.Access, set.PasswordHash != "",
		set.MaxParticipants)); err != nil {
		return Room{}, err
	}
	js, err := json.Marshal(set)
	if err != nil {
		return Room{}, fmt.Errorf("encode room settings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rooms SET name = ?, settings = ? WHERE id = ?`,
		row.name, string(js), row.id); err != nil {
		return Room{}, fmt.Errorf("update room: %w", err)
	}
	return roomFrom(row.id, row.slug, row.name, row.createdBy, row.createdAt, *set), nil
}

// ListRooms returns every room, by slug. Deployments have tens of rooms, so
// there is no paging yet.
func (s *Store) ListRooms(ctx context.Context) ([]Room, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+roomColumns+` FROM rooms ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	defer rows.Close()
	var rooms []Room
	for rows.Next() {
		r, err := scanRoomRow(rows)
		if err != nil {
			return nil, fmt.Errorf("list rooms: %w", err)
		}
		rooms = append(rooms, r.room())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rooms, nil
}

const roomColumns = `id, slug, name, created_by, created_at, settings`

// roomRow is a rooms row with its settings decoded.
type roomRow struct {
	id        int64
	slug      string
	name      string
	createdBy sql.NullInt64
	createdAt int64
	settings  roomSettings
}

func (r roomRow) room() Room {
	return roomFrom(r.id, r.slug, r.name, r.createdBy, r.createdAt, r.settings)
}

func scanRoomRow(sc interface{ Scan(...any) error }) (roomRow, error) {
	var r roomRow
	var js string
	if err := sc.Scan(&r.id, &r.slug, &r.name, &r.createdBy, &r.createdAt, &js); err != nil {
		return roomRow{}, err
	}
	if err := json.Unmarshal([]byte(js), &r.settings); err != nil {
		return roomRow{}, fmt.Errorf("decode settings of room %q: %w", r.slug, err)
	}
	if r.settings.Access == "" {
		r.settings.Access = AccessPublic
	}
	return r, nil
}

// readRoomRow returns the row with that slug, or ErrNotFound.
func readRoomRow(ctx context.Context, q querier, slug string) (roomRow, error) {
	r, err := scanRoomRow(q.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE slug = ?`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return roomRow{}, ErrNotFound
	}
	if err != nil {
		return roomRow{}, fmt.Errorf("read room: %w", err)
	}
	return r, nil
}

// roomWithHash returns the room and its password hash ("" for none), or ErrNotFound.
func roomWithHash(ctx context.Context, q querier, slug string) (Room, string, error) {
	r, err := readRoomRow(ctx, q, slug)
	if err != nil {
		return Room{}, "", err
	}
	return r.room(), r.settings.PasswordHash, nil
}

// roomFrom builds the Room callers see from stored values; the hash stays behind.
func roomFrom(id int64, slug, name string, createdBy sql.NullInt64, createdAt int64, set roomSettings) Room {
	return Room{ID: id, Slug: slug, Name: name, Access: set.Access, HasPassword: set.PasswordHash != "",
		Lobby: set.Lobby, MaxParticipants: set.MaxParticipants,
		E2EERequired: set.E2EERequired == nil || *set.E2EERequired, SchoolMode: set.SchoolMode,
		CreatedBy: createdBy.Int64, CreatedAt: time.Unix(createdAt, 0).UTC()}
}
