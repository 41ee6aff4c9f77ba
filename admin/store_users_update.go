package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UserUpdate is the input to UpdateUser: nil fields stay as they are. The
// username cannot change: audit entries and room grants name it.
type UserUpdate struct {
	Name     *string
	Role     *string
	Disabled *bool
}

// changed names the fields u sets, for the audit log.
func (u UserUpdate) changed() []string {
	var f []string
	if u.Name != nil {
		f = append(f, "name")
	}
	if u.Role != nil {
		f = append(f, "role")
	}
	if u.Disabled != nil {
		f = append(f, "disabled")
	}
	return f
}

// UpdateUser changes the fields u sets and audits the change. Disabling an
// account or changing its role ends its sessions. Removing the last enabled
// admin (by role change or disabling) gives ErrLastAdmin.
func (s *Store) UpdateUser(ctx context.Context, actor, username string, u UserUpdate) (User, error) {
	err := validateActor(actor)
	if u.Name != nil {
		err = errors.Join(err, validateDisplayName(*u.Name))
	}
	if u.Role != nil {
		err = errors.Join(err, validateRole(*u.Role))
	}
	if err != nil {
		return User{}, fmt.Errorf("update user %q: %w", username, err)
	}
	var out User
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.applyUserUpdate(ctx, tx, actor, username, u)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %q: %w", username, err)
	}
	return out, nil
}

// applyUserUpdate merges u into the stored user inside tx, guards the last
// admin, writes the row, ends sessions whose privileges changed, and audits.
func (s *Store) applyUserUpdate(ctx context.Context, tx *sql.Tx, actor, username string, u UserUpdate) (User, error) {
	cur, err := userByUsername(ctx, tx, username)
	if err != nil {
		return User{}, err
	}
	out := cur
	if u.Name != nil {
		out.Name = *u.Name
	}
	if u.Role != nil {
		out.Role = *u.Role
	}
	if u.Disabled != nil {
		out.Disabled = *u.Disabled
	}
	if cur.Role == RoleAdmin && !cur.Disabled && (out.Role != RoleAdmin || out.Disabled) {
		if err := lastAdminCheck(ctx, tx, cur.ID); err != nil {
			return User{}, err
		}
	}
	out.UpdatedAt = s.now().UTC().Truncate(time.Second)
	if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		out.Name, out.Role, out.Disabled, out.UpdatedAt.Unix(), cur.ID); err != nil {
		return User{}, fmt.Errorf("update user: %w", err)
	}
	if out.Disabled || out.Role != cur.Role {
		// Sessions carry the privileges of their sign-in; make the user sign in again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, cur.ID); err != nil {
			return User{}, fmt.Errorf("delete sessions: %w", err)
		}
	}
	return out, s.audit(ctx, tx, auditEntry{actor: actor, action: "user.update", object: userObject(cur.Username),
		detail: map[string]any{"changed": u.changed(), "role": out.Role, "disabled": out.Disabled}})
}

// lastAdminCheck returns ErrLastAdmin if no enabled admin other than userID exists.
func lastAdminCheck(ctx context.Context, q querier, userID int64) error {
	var others int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?`,
		userID).Scan(&others); err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// DeleteUser removes an account with its sessions, tokens, invites and room
// grants; rooms it created stay, ownerless. Deleting the last enabled admin
// gives ErrLastAdmin.
func (s *Store) DeleteUser(ctx context.Context, actor, username string) error {
	if err := validateActor(actor); err != nil {
		return fmt.Errorf("delete user %q: %w", username, err)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := lastAdminCheck(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "user.delete", object: userObject(u.Username)})
	})
	if err != nil {
		return fmt.Errorf("delete user %q: %w", username, err)
	}
	return nil
}
