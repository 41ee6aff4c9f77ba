-- Display names for accounts (class rosters), one-time invite links, and
-- where an audited action came from (the client address).

-- +goose Up
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE TABLE invites (
    -- SHA-256 of the random invite token; the token itself is only in the link.
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX invites_user_id ON invites (user_id);

ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_log DROP COLUMN source;
DROP TABLE invites;
ALTER TABLE users DROP COLUMN name;
