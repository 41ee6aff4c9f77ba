package admin

import (
	"errors"
	"net/url"
	"regexp"
	"testing"
	"unicode/utf8"
)

var usernameOracle = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// FuzzValidateUsername checks validateUsername against a regular expression
// written independently from the same rule.
func FuzzValidateUsername(f *testing.F) {
	for _, s := range []string{"alice", "a.b_c-d@e", "", "аlice", "a b", "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := validateUsername(name)
		if got, want := err == nil, usernameOracle.MatchString(name); got != want {
			t.Fatalf("validateUsername(%q): got ok=%v, want %v", name, got, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidUsername) {
			t.Fatalf("validateUsername(%q): got %v, want ErrInvalidUsername", name, err)
		}
	})
}

// FuzzSetupForm feeds raw form bodies through the setup form's parsing and
// validation: no panic, and whatever passes obeys every rule.
func FuzzSetupForm(f *testing.F) {
	f.Add("token=t&username=root&password=0123456789&confirm=0123456789")
	f.Add("username=root&password=short&confirm=short")
	f.Add("username=%zz&password=")
	f.Add("username=a&username=b&password=0123456789&confirm=0123456789")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers 400 before validation
		}
		form := parseSetupForm(v)
		if err := form.validate(); err != nil {
			if formMessage(err) == "" {
				t.Fatalf("validation error %v has no form message", err)
			}
			return
		}
		if !usernameOracle.MatchString(form.Username) || form.Password != form.Confirm ||
			len(form.Password) > maxPasswordBytes || utf8.RuneCountInString(form.Password) < minPasswordRunes {
			t.Fatalf("accepted an invalid form: %+v", form)
		}
	})
}

// FuzzParsePHC checks that any stored hash string either parses into bounded
// parameters or is rejected, without panicking.
func FuzzParsePHC(f *testing.F) {
	f.Add(encodePHC(defaultArgonParams(), make([]byte, 16), make([]byte, 32)))
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.memory > maxStoredMemory || p.time > maxStoredTime || p.time == 0 || p.threads == 0 ||
			int(p.saltLen) != len(salt) || int(p.keyLen) != len(key) {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds params %+v", s, p)
		}
	})
}
