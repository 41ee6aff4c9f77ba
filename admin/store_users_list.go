package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxDisplayName bounds a user's display name, in characters.
const maxDisplayName = 64

// validateDisplayName allows an empty name or up to 64 printable characters.
func validateDisplayName(name string) error {
	if name == "" {
		return nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxDisplayName {
		return ErrInvalidName
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return ErrInvalidName
		}
	}
	return nil
}

// scanUser reads the userColumns of one row.
func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated int64
	if err := sc.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.Disabled, &created, &updated); err != nil {
		return User{}, err
	}
	u.CreatedAt, u.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return u, nil
}

// ListUsers returns every account, oldest first. Admin deployments have tens
// or hundreds of users (a school), not millions, so there is no paging.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UserByID returns the user with that ID, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := userByID(ctx, s.rdb, id)
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

func userByID(ctx context.Context, q querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}
