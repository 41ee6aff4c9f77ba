package admin

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParseRoster is the roster format, line by line.
func TestParseRoster(t *testing.T) {
	text := "name,username-or-email,role\r\n" +
		"Ada Lovelace,ada@school.example,member\n" +
		"\n# a comment\n" +
		`"Turing, Alan",alan,Moderator` + "\n" +
		"Grace Hopper,grace\n" +
		"Bad Line\n" +
		"Eve,eve evil,member\n" +
		"Root,root,owner\n" +
		"Ada Again,ADA@school.example,member\n" +
		`"broken,quote,member` + "\n" +
		"Too,many,member,fields\n" +
		",nameless,member\n"
	entries, errs := ParseRoster(text)
	want := []RosterEntry{
		{Line: 2, Name: "Ada Lovelace", Username: "ada@school.example", Role: RoleMember},
		{Line: 5, Name: "Turing, Alan", Username: "alan", Role: RoleModerator},
		{Line: 6, Name: "Grace Hopper", Username: "grace", Role: RoleMember},
		{Line: 13, Name: "", Username: "nameless", Role: RoleMember},
	}
	if len(entries) != len(want) {
		t.Fatalf("entries: got %+v, want %+v", entries, want)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, entries[i], want[i])
		}
	}
	wantErr := map[int]string{7: "fields", 8: "username", 9: "role", 10: "repeated", 11: "quotes", 12: "fields"}
	if len(errs) != len(wantErr) {
		t.Fatalf("errors: got %v, want lines %v", errs, wantErr)
	}
	for _, e := range errs {
		if !strings.Contains(e.Err.Error(), wantErr[e.Line]) {
			t.Errorf("line %d: got %q, want it to mention %q", e.Line, e.Err, wantErr[e.Line])
		}
	}
}

// TestParseRosterLimits: an oversized paste is one error, and at most
// maxRosterLines lines are taken.
func TestParseRosterLimits(t *testing.T) {
	if e, errs := ParseRoster(strings.Repeat("x", maxRosterBytes+1)); len(e) != 0 || len(errs) != 1 {
		t.Errorf("oversized: got %d entries, %d errors", len(e), len(errs))
	}
	var b strings.Builder
	for i := range maxRosterLines + 5 {
		b.WriteString("N,u" + idString(int64(i)) + ",member\n")
	}
	e, errs := ParseRoster(b.String())
	if len(e) != maxRosterLines || len(errs) != 1 {
		t.Errorf("long roster: got %d entries, %d errors; want %d and 1", len(e), len(errs), maxRosterLines)
	}
}

// FuzzParseRoster: any paste gives valid entries only, each line at most
// once, in order, and error texts that fit the report.
func FuzzParseRoster(f *testing.F) {
	for _, s := range []string{
		"name,username,role\nAda,ada,member\n",
		`"Turing, Alan",alan,moderator`,
		"a,b\r\nc,d,admin\n\n#x\n",
		"\"unterminated,x,member\n",
		",,\n,,,\n\"\"\"\",q,member",
		"Zoë Ångström,zoe@example.org,member\n名前,user,member",
		"\xff\xfe,bad,member",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		entries, errs := ParseRoster(text)
		lines := strings.Count(text, "\n") + 1
		if len(entries)+len(errs) > lines && len(text) <= maxRosterBytes {
			t.Fatalf("%d results for %d lines", len(entries)+len(errs), lines)
		}
		prev, seen := 0, map[string]bool{}
		for _, e := range entries {
			if e.Line <= prev || validateUsername(e.Username) != nil || validateRole(e.Role) != nil ||
				validateDisplayName(e.Name) != nil || seen[foldASCII(e.Username)] {
				t.Fatalf("invalid entry %+v", e)
			}
			prev = e.Line
			seen[foldASCII(e.Username)] = true
		}
		for _, e := range errs {
			if e.Err == nil || utf8.RuneCountInString(e.Text) > 81 {
				t.Fatalf("bad error report %+v", e)
			}
		}
	})
}
