// Package migrations holds Conclave's SQLite schema as goose SQL migrations.
//
// Files are named NNNNN_description.sql and carry "-- +goose Up" and
// "-- +goose Down" sections. A migration is never edited after it has been
// released: schema changes always add a new file. The admin package runs them
// at start-up through goose's Provider API.
//
// Conventions the files follow, so that later migrations stay consistent:
//   - timestamps are INTEGER Unix seconds in UTC;
//   - secrets (session IDs, API and setup tokens) are stored only as their
//     SHA-256 digest, as a 32-byte BLOB;
//   - tables are STRICT, so a wrong type fails loudly instead of being coerced;
//   - JSON columns are TEXT checked with json_valid.
package migrations

import "embed"

// FS holds every migration file. It is read-only: embed.FS cannot be changed at
// run time, which is why this one package-level variable is acceptable.
//
//go:embed *.sql
var FS embed.FS
