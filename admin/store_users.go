package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Roles a user can have.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// Actors recorded in the audit log for actions that no signed-in user performed.
const (
	ActorCLI    = "cli"
	ActorSetup  = "setup"
	ActorSystem = "system"
)

const maxUsernameLen = 64

// User is an account as stored, without its password hash.
type User struct {
	ID       int64
	Username string
	// Name is the display name ("Ada Lovelace"); it may be empty.
	Name      string
	Role      string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewUser is the input to CreateUser. Actor names who creates the account, for
// the audit log ("cli", "setup", "user:NAME").
type NewUser struct {
	Username string
	// Name is the optional display name.
	Name     string
	Password string
	Role     string
	Actor    string
}

// LogValue keeps the password out of logs.
func (u NewUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", u.Username), slog.String("role", u.Role),
		slog.String("actor", u.Actor), slog.String("password", "REDACTED"))
}

// validateUsername allows 1 to 64 ASCII letters, digits and "._-@". ASCII only
// because look-alike letters from other scripts would make distinct accounts
// that read the same, and because SQLite's NOCASE folds only ASCII.
func validateUsername(name string) error {
	if len(name) == 0 || len(name) > maxUsernameLen {
		return ErrInvalidUsername
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '@'
		if !ok {
			return ErrInvalidUsername
		}
	}
	return nil
}

func validateRole(role string) error {
	switch role {
	case RoleAdmin, RoleModerator, RoleMember:
		return nil
	}
	return ErrInvalidRole
}

// CreateUser validates and stores a new account, auditing it in the same
// transaction. A username already taken (case-insensitively) gives ErrExists.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	if err := errors.Join(validateUsername(nu.Username), validateRole(nu.Role), validateDisplayName(nu.Name),
		validatePassword(nu.Password), validateActor(nu.Actor)); err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	hash, err := s.hasher.hash(ctx, nu.Password)
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	var u User
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err = s.insertUser(ctx, tx, nu, hash)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{actor: nu.Actor, action: "user.create",
			object: userObject(u.Username), detail: map[string]any{"role": u.Role}})
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	return u, nil
}

// insertUser inserts a validated user inside tx. Writers are serialised
// (BEGIN IMMEDIATE), so checking for the name first cannot race.
func (s *Store) insertUser(ctx context.Context, tx *sql.Tx, nu NewUser, hash string) (User, error) {
	if _, err := userByUsername(ctx, tx, nu.Username); err == nil {
		return User{}, ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	u := User{Username: nu.Username, Name: nu.Name, Role: nu.Role, CreatedAt: now, UpdatedAt: now}
	err := tx.QueryRowContext(ctx, `INSERT INTO users (username, name, password_hash, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, u.Username, u.Name, hash, u.Role, now.Unix(), now.Unix()).Scan(&u.ID)
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

// SetPassword replaces a user's password and signs the user out everywhere.
// actor is recorded in the audit log.
func (s *Store) SetPassword(ctx context.Context, actor, username, password string) error {
	if err := errors.Join(validatePassword(password), validateActor(actor)); err != nil {
		return fmt.Errorf("set password of %q: %w", username, err)
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", username, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
			hash, s.now().Unix(), u.ID); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		// A password change must end sessions opened with the old password.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "user.set_password", object: userObject(u.Username)})
	})
	if err != nil {
		return fmt.Errorf("set password of %q: %w", username, err)
	}
	return nil
}

// UserByUsername returns the user with that name, compared case-insensitively,
// or ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := userByUsername(ctx, s.rdb, username)
	if err != nil {
		return User{}, fmt.Errorf("get user %q: %w", username, err)
	}
	return u, nil
}

// HasAdmin reports whether any admin account exists, disabled or not. First-run
// setup stays closed once one has been created.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	has, err := hasAdmin(ctx, s.rdb)
	if err != nil {
		return false, fmt.Errorf("check for admin: %w", err)
	}
	return has, nil
}

func hasAdmin(ctx context.Context, q querier) (bool, error) {
	var has bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`).Scan(&has)
	return has, err
}

const userColumns = `id, username, name, role, disabled, created_at, updated_at`

func userByUsername(ctx context.Context, q querier, username string) (User, error) {
	u, _, err := userWithHash(ctx, q, username)
	return u, err
}

// userWithHash returns the user and its password hash, or ErrNotFound.
func userWithHash(ctx context.Context, q querier, username string) (User, string, error) {
	row := q.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE username = ?`, username)
	var u User
	var created, updated int64
	var hash string
	err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Disabled, &created, &updated, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return u, hash, nil
}

func userObject(username string) string { return "user:" + username }

// CheckPassword returns the user if the password is right. A wrong password and
// an unknown user both give ErrInvalidCredentials after the same hashing work;
// a right password for a disabled account gives ErrUserDisabled. When the
// stored hash uses other parameters than the current ones, it is replaced
// (rehash on login); if that write fails the login fails too, since the
// database is then not writable and the caller should answer 5xx.
func (s *Store) CheckPassword(ctx context.Context, username, password string) (User, error) {
	if len(password) > maxPasswordBytes {
		// Never a valid password, and rejecting it does not depend on the user.
		return User{}, ErrInvalidCredentials
	}
	u, hash, err := userWithHash(ctx, s.rdb, username)
	if errors.Is(err, ErrNotFound) {
		if err := s.hasher.burn(ctx, password); err != nil {
			return User{}, fmt.Errorf("check password of %q: %w", username, err)
		}
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("check password of %q: %w", username, err)
	}
	ok, rehash, err := s.hasher.verify(ctx, hash, password)
	if err != nil {
		return User{}, fmt.Errorf("check password of %q: %w", username, err)
	}
	if !ok {
		return User{}, ErrInvalidCredentials
	}
	if u.Disabled {
		return User{}, ErrUserDisabled
	}
	if rehash {
		if err := s.rehash(ctx, u, hash, password); err != nil {
			return User{}, fmt.Errorf("check password of %q: %w", username, err)
		}
	}
	return u, nil
}

// rehash stores a hash of password with the current parameters, unless the
// hash changed since it was read (a concurrent password change wins).
func (s *Store) rehash(ctx context.Context, u User, oldHash, password string) error {
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`,
			hash, u.ID, oldHash)
		if err != nil {
			return fmt.Errorf("rehash password: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("rehash password: %w", err)
		}
		if n == 0 {
			return nil // the password changed meanwhile; keep the newer hash
		}
		return s.audit(ctx, tx, auditEntry{actor: ActorSystem, action: "user.rehash_password", object: userObject(u.Username)})
	})
}
