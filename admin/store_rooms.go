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

// Room access kinds: who may join without being admitted by other means.
const (
	// AccessPublic rooms admit anyone holding the link.
	AccessPublic = "public"
	// AccessPassword rooms also ask for the room password.
	AccessPassword = "password"
	// AccessMembers rooms admit only signed-in accounts.
	AccessMembers = "members"
)

const (
	maxSlugLen = 64
	// maxRoomParticipants bounds MaxParticipants; an SFU on a small server
	// cannot forward to more anyway.
	maxRoomParticipants = 1000
)

// Room is a configured meeting room, without its password hash.
type Room struct {
	ID   int64
	Slug string
	Name string
	// Access is AccessPublic, AccessPassword or AccessMembers.
	Access string
	// HasPassword reports whether a room password is set (only with AccessPassword).
	HasPassword bool
	// Lobby makes guests wait until a moderator admits them.
	Lobby bool
	// MaxParticipants is the room's size limit; 0 means no limit.
	MaxParticipants int
	// E2EERequired refuses clients that cannot encrypt end to end.
	E2EERequired bool
	// SchoolMode: participants unmute and share their screen only when a
	// moderator allows it (the SFU enforces it).
	SchoolMode bool
	// CreatedBy is the creating user's ID; 0 when a service token, the CLI
	// or a since-deleted account created it.
	CreatedBy int64
	CreatedAt time.Time
}

// NewRoom is the input to CreateRoom. Zero values are defaults: an empty
// Access is AccessPublic, an empty Name is the slug, MaxParticipants 0 is no
// limit and a nil E2EERequired is true.
type NewRoom struct {
	Slug            string
	Name            string
	Access          string
	Password        string
	Lobby           bool
	MaxParticipants int
	E2EERequired    *bool
	SchoolMode      bool
	// CreatedBy is the creating user's ID, 0 for none.
	CreatedBy int64
}

// LogValue keeps the room password out of logs.
func (nr NewRoom) LogValue() slog.Value {
	return slog.GroupValue(slog.String("slug", nr.Slug), slog.String("access", nr.Access),
		slog.String("password", "REDACTED"))
}

// roomSettings is the rooms.settings JSON column. A JSON column rather than
// columns of its own because the join policy will grow (moderation options,
// ad-hoc defaults) without a migration per knob. Missing keys read as the
// defaults, so rows written by older versions stay valid.
type roomSettings struct {
	Access          string `json:"access,omitempty"`
	PasswordHash    string `json:"password_hash,omitempty"`
	Lobby           bool   `json:"lobby,omitempty"`
	MaxParticipants int    `json:"max_participants,omitempty"`
	E2EERequired    *bool  `json:"e2ee_required,omitempty"`
	SchoolMode      bool   `json:"school_mode,omitempty"`
}

// validateSlug allows 1 to 64 of a-z, 0-9, '-' and '_': the meeting page's
// rule for room names (web/js/lib/roomlink.js), so every slug is a /r/ROOM
// the client can open. Upper case is refused rather than folded so that the
// stored slug is exactly the one in links.
func validateSlug(slug string) error {
	if len(slug) == 0 || len(slug) > maxSlugLen {
		return ErrInvalidSlug
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ErrInvalidSlug
		}
	}
	return nil
}

// validateRoomPolicy checks a room's access, password and limit together,
// since which password is valid depends on the access. hasPassword is whether
// the room will have a password after the change.
func validateRoomPolicy(access string, hasPassword bool, maxParticipants int) error {
	var err error
	switch access {
	case AccessPublic, AccessMembers:
		if hasPassword {
			err = ErrRoomPassword
		}
	case AccessPassword:
		if !hasPassword {
			err = ErrRoomPassword
		}
	default:
		err = ErrInvalidAccess
	}
	if maxParticipants < 0 || maxParticipants > maxRoomParticipants {
		err = errors.Join(err, ErrInvalidMaxParticipants)
	}
	return err
}

func (nr *NewRoom) defaults() {
	if nr.Access == "" {
		nr.Access = AccessPublic
	}
	if nr.Name == "" {
		nr.Name = nr.Slug
	}
	if nr.E2EERequired == nil {
		on := true
		nr.E2EERequired = &on
	}
}

func (nr NewRoom) validate(actor string) error {
	err := errors.Join(validateSlug(nr.Slug), validateTokenName(nr.Name), validateActor(actor),
		validateRoomPolicy(nr.Access, nr.Password != "", nr.MaxParticipants))
	if nr.Password != "" {
		err = errors.Join(err, validatePassword(nr.Password))
	}
	return err
}

// CreateRoom validates and stores a new room, auditing it in the same
// transaction. The password, if any, is stored as an Argon2id hash. A slug
// already taken gives ErrExists.
func (s *Store) CreateRoom(ctx context.Context, actor string, nr NewRoom) (Room, error) {
	nr.defaults()
	if err := nr.validate(actor); err != nil {
		return Room{}, fmt.Errorf("create room %q: %w", nr.Slug, err)
	}
	set := roomSettings{Access: nr.Access, Lobby: nr.Lobby, MaxParticipants: nr.MaxParticipants,
		E2EERequired: nr.E2EERequired, SchoolMode: nr.SchoolMode}
	if nr.Password != "" {
		hash, err := s.hasher.hash(ctx, nr.Password)
		if err != nil {
			return Room{}, fmt.Errorf("create room %q: %w", nr.Slug, err)
		}
		set.PasswordHash = hash
	}
	var room Room
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if room, err = s.insertRoom(ctx, tx, nr, set); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "room.create", object: roomObject(room.Slug),
			detail: roomAuditDetail(room)})
	})
	if err != nil {
		return Room{}, fmt.Errorf("create room %q: %w", nr.Slug, err)
	}
	return room, nil
}

// insertRoom inserts a validated room inside tx. Writers are serialised
// (BEGIN IMMEDIATE), so checking for the slug first cannot race.
func (s *Store) insertRoom(ctx context.Context, tx *sql.Tx, nr NewRoom, set roomSettings) (Room, error) {
	if _, _, err := roomWithHash(ctx, tx, nr.Slug); err == nil {
		return Room{}, ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return Room{}, err
	}
	js, err := json.Marshal(set)
	if err != nil {
		return Room{}, fmt.Errorf("encode room settings: %w", err)
	}
	now := s.now().UTC().Truncate(time.Second)
	createdBy := sql.NullInt64{Int64: nr.CreatedBy, Valid: nr.CreatedBy != 0}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO rooms (slug, name, created_by, created_at, settings)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, nr.Slug, nr.Name, createdBy, now.Unix(), string(js)).Scan(&id)
	if err != nil {
		return Room{}, fmt.Errorf("insert room: %w", err)
	}
	return roomFrom(id, nr.Slug, nr.Name, createdBy, now.Unix(), set), nil
}

// RoomBySlug returns the room with that slug, or ErrNotFound.
func (s *Store) RoomBySlug(ctx context.Context, slug string) (Room, error) {
	r, _, err := roomWithHash(ctx, s.rdb, slug)
	if err != nil {
		return Room{}, fmt.Errorf("get room %q: %w", slug, err)
	}
	return r, nil
}

// CheckRoomPassword reports whether password is the room's password. A room
// without a password never matches. It does the hashing work, so callers
// that take guesses from the network must rate-limit them.
func (s *Store) CheckRoomPassword(ctx context.Context, slug, password string) (bool, error) {
	_, hash, err := roomWithHash(ctx, s.rdb, slug)
	if err != nil {
		return false, fmt.Errorf("check password of room %q: %w", slug, err)
	}
	if hash == "" || len(password) > maxPasswordBytes {
		return false, nil
	}
	ok, _, err := s.hasher.verify(ctx, hash, password)
	if err != nil {
		return false, fmt.Errorf("check password of room %q: %w", slug, err)
	}
	return ok, nil
}

// DeleteRoom removes a room (and its moderator grants), auditing it in the
// same transaction. An unknown slug gives ErrNotFound.
func (s *Store) DeleteRoom(ctx context.Context, actor, slug string) error {
	if err := validateActor(actor); err != nil {
		return fmt.Errorf("delete room %q: %w", slug, err)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `DELETE FROM rooms WHERE slug = ? RETURNING slug`, slug).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("delete room: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "room.delete", object: roomObject(stored)})
	})
	if err != nil {
		return fmt.Errorf("delete room %q: %w", slug, err)
	}
	return nil
}

func roomObject(slug string) string { return "room:" + slug }

// roomAuditDetail is what the audit log records of a room's policy; never
// the password or its hash.
func roomAuditDetail(r Room) map[string]any {
	return map[string]any{"name": r.Name, "access": r.Access, "has_password": r.HasPassword,
		"lobby": r.Lobby, "max_participants": r.MaxParticipants, "e2ee_required": r.E2EERequired,
		"school_mode": r.SchoolMode}
}
