package admin

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var apiTokenPattern = regexp.MustCompile(`^cnv_[A-Za-z0-9_-]{43}$`)

func TestAPITokens(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	s, path := openTestStore(t, storeOptions{now: clock.Now})

	forever, err := s.CreateAPIToken(ctx, ActorCLI, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	hour, err := s.CreateAPIToken(ctx, ActorCLI, "temporary", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{forever, hour} {
		if !apiTokenPattern.MatchString(tok) {
			t.Errorf("token %q does not match %s", tok, apiTokenPattern)
		}
	}
	if dbFilesContain(t, path, strings.TrimPrefix(forever, apiTokenPrefix)) {
		t.Error("database files hold the plain token, want only its digest")
	}

	got, err := s.LookupAPIToken(ctx, forever)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if got.Name != "ci" || !got.ExpiresAt.IsZero() || !got.LastUsedAt.Equal(clock.Now()) {
		t.Errorf("got %+v, want name ci, no expiry, last used now", got)
	}

	clock.Advance(time.Hour)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"no expiry, an hour later", forever, nil},
		{"expired exactly at its ttl", hour, ErrNotFound},
		{"unknown", "cnv_" + strings.Repeat("A", 43), ErrNotFound},
		{"no prefix", strings.TrimPrefix(forever, apiTokenPrefix), ErrNotFound},
		{"truncated", forever[:len(forever)-1], ErrNotFound},
		{"empty", "", ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.LookupAPIToken(ctx, tc.token); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAPITokenLastUsedIsThrottled(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	s, _ := openTestStore(t, storeOptions{now: clock.Now})
	tok, err := s.CreateAPIToken(ctx, ActorCLI, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, start},
		{30 * time.Second, start},
		{31 * time.Second, start.Add(61 * time.Second)},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		got, err := s.LookupAPIToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastUsedAt.Equal(st.want) {
			t.Errorf("step %d: last used %v, want %v", i, got.LastUsedAt, st.want)
		}
	}
}

func TestCreateAPITokenValidation(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	tests := []struct {
		name      string
		tokenName string
		ttl       time.Duration
		want      error
	}{
		{"empty name", "", 0, ErrInvalidName},
		{"control character", "a\nb", 0, ErrInvalidName},
		{"65 characters", strings.Repeat("n", 65), 0, ErrInvalidName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.CreateAPIToken(t.Context(), ActorCLI, tc.tokenName, tc.ttl); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := s.CreateAPIToken(t.Context(), ActorCLI, "x", -time.Second); err == nil {
		t.Error("negative ttl: got nil error, want one")
	}
}
