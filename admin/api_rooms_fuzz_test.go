package admin

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// slugOracle is the meeting page's room-name rule (web/js/lib/roomlink.js),
// written independently of validateSlug.
var slugOracle = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// FuzzValidateSlug checks validateSlug against the meeting page's rule.
func FuzzValidateSlug(f *testing.F) {
	for _, s := range []string{"maths-7b", "a_b", "", "Team", "a.b", "café", strings.Repeat("z", 65), "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, slug string) {
		err := validateSlug(slug)
		if got, want := err == nil, slugOracle.MatchString(slug); got != want {
			t.Fatalf("validateSlug(%q): got ok=%v, want %v", slug, got, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidSlug) {
			t.Fatalf("validateSlug(%q): got %v, want ErrInvalidSlug", slug, err)
		}
	})
}

// FuzzRoomBody feeds raw POST /rooms bodies through decoding, defaults and
// validation: no panic, and whatever passes obeys every rule.
func FuzzRoomBody(f *testing.F) {
	for _, s := range []string{
		`{"slug":"maths","name":"Maths 7B","access":"password","password":"pythagoras!","lobby":true,"max_participants":30}`,
		`{"slug":"art","e2ee_required":false}`, `{"slug":"a","access":"members","password":"x"}`,
		`{"slug":"a","max_participants":-1}`, `{"slug":"a","password_hash":"x"}`, `{"slug":"a"} {}`, `[]`, `null`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in apiNewRoom
		if err := decodeJSONBody(strings.NewReader(body), &in); err != nil {
			return
		}
		nr := NewRoom{Slug: in.Slug, Name: in.Name, Access: in.Access, Password: in.Password, Lobby: in.Lobby,
			MaxParticipants: in.MaxParticipants, E2EERequired: in.E2EERequired}
		nr.defaults()
		if err := nr.validate(ActorCLI); err != nil {
			if status, _, _ := classify(err); status != 400 {
				t.Fatalf("validation error %v maps to %d, want 400", err, status)
			}
			return
		}
		okAccess := nr.Access == AccessPublic || nr.Access == AccessMembers || nr.Access == AccessPassword
		if !slugOracle.MatchString(nr.Slug) || !okAccess || (nr.Access == AccessPassword) != (nr.Password != "") ||
			nr.MaxParticipants < 0 || nr.MaxParticipants > maxRoomParticipants || nr.E2EERequired == nil {
			t.Fatalf("accepted an invalid room: %+v", nr)
		}
	})
}
