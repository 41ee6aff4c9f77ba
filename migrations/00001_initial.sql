-- Initial schema. Timestamps are Unix seconds (UTC) in INTEGER columns.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- NOCASE folds ASCII only; usernames are restricted to ASCII so that
    -- "Alice" and "alice" cannot both exist.
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    -- PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$key
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'moderator', 'member')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;

CREATE TABLE sessions (
    -- SHA-256 of the random session ID; the ID itself lives only in the cookie.
    id_hash      BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY,
    -- Case-insensitive so that /r/Team and /r/team cannot be two rooms.
    slug       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT    NOT NULL,
    -- A room outlives the account that created it.
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    settings   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
) STRICT;

CREATE INDEX rooms_created_by ON rooms (created_by);

CREATE TABLE room_moderators (
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX room_moderators_user_id ON room_moderators (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- NULL: a service token created from the command line. A user's tokens
    -- are deleted with the user (CASCADE), never turned into ownerless ones.
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    -- NULL: never expires.
    expires_at   INTEGER
) STRICT;

CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- The first-run setup token. The CHECK on id keeps it to at most one row.
CREATE TABLE setup_tokens (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash BLOB    NOT NULL CHECK (length(token_hash) = 32),
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    -- Who acted: "cli", "setup", "system", or "user:NAME".
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    object TEXT    NOT NULL DEFAULT '',
    detail TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE setup_tokens;
DROP TABLE settings;
DROP TABLE api_tokens;
DROP TABLE room_moderators;
DROP TABLE rooms;
DROP TABLE sessions;
DROP TABLE users;
