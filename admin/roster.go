package admin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
)

// Roster limits: a school class is tens of lines; a whole school a few hundred.
const (
	maxRosterLines = 1000
	maxRosterBytes = 256 << 10
)

// RosterEntry is one valid line of a pasted roster.
type RosterEntry struct {
	Line     int
	Name     string
	Username string
	Role     string
}

// RosterError is one refused line of a pasted roster.
type RosterError struct {
	Line int
	Text string
	Err  error
}

func (e RosterError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ParseRoster reads a roster pasted as CSV, one account a line:
// "name,username-or-email,role". The role may be left out (member). Blank
// lines and lines starting with '#' are skipped, as is a first line that is
// a header ("name,username,role"). Fields may be quoted ("Lovelace, Ada").
// Every line is either an entry or an error, never both, so that the page
// can report what it did with each; a username repeated in the paste is an
// error on its later lines.
func ParseRoster(text string) ([]RosterEntry, []RosterError) {
	var entries []RosterEntry
	var errs []RosterError
	seen := make(map[string]bool)
	if len(text) > maxRosterBytes {
		return nil, []RosterError{{Line: 0, Err: fmt.Errorf("roster over %d KiB", maxRosterBytes>>10)}}
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	first := true
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first && isRosterHeader(line) {
			first = false
			continue
		}
		first = false
		if len(entries)+len(errs) >= maxRosterLines {
			errs = append(errs, RosterError{Line: i + 1, Text: clip(line), Err: fmt.Errorf("more than %d lines", maxRosterLines)})
			break
		}
		e, err := parseRosterLine(line)
		key := foldASCII(e.Username)
		if err == nil && seen[key] {
			err = errors.New("username repeated in this list")
		}
		if err != nil {
			errs = append(errs, RosterError{Line: i + 1, Text: clip(line), Err: err})
			continue
		}
		seen[key] = true
		e.Line = i + 1
		entries = append(entries, e)
	}
	return entries, errs
}

// clip shortens a line for the error report.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	cut := 80
	for cut > 0 && !utfStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utfStart(b byte) bool { return b&0xC0 != 0x80 }

func isRosterHeader(line string) bool {
	f := strings.Split(strings.ToLower(strings.ReplaceAll(line, " ", "")), ",")
	return len(f) >= 2 && f[0] == "name" && (f[1] == "username" || f[1] == "email" || f[1] == "username-or-email")
}

// parseRosterLine parses and validates one non-empty line.
func parseRosterLine(line string) (RosterEntry, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rec, err := r.Read()
	if err != nil {
		return RosterEntry{}, errors.New("not a CSV line: check the quotes")
	}
	if len(rec) < 2 || len(rec) > 3 {
		return RosterEntry{}, fmt.Errorf("want name,username,role: got %d fields", len(rec))
	}
	e := RosterEntry{Name: strings.TrimSpace(rec[0]), Username: strings.TrimSpace(rec[1]), Role: RoleMember}
	if len(rec) == 3 && strings.TrimSpace(rec[2]) != "" {
		e.Role = strings.ToLower(strings.TrimSpace(rec[2]))
	}
	if err := validateDisplayName(e.Name); err != nil {
		return e, errors.New("the name must be at most 64 printable characters")
	}
	if err := validateUsername(e.Username); err != nil {
		return e, errors.New("the username must be 1 to 64 of letters, digits, '.', '_', '-' or '@'")
	}
	if err := validateRole(e.Role); err != nil {
		return e, errors.New("the role must be admin, moderator or member")
	}
	return e, nil
}
