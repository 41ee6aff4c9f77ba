package sfu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// namePolicy is a test Authorizer that reads the grant from the display
// name: "mod…" moderates, "wait…" and "mod…" are sent to the lobby (which
// moderators skip), "max2…" limits the room to 2, "bad-<code>" is refused;
// and from the room name: rooms "school…" are in school mode.
type namePolicy struct {
	mu   sync.Mutex
	reqs []JoinRequest
}

func (np *namePolicy) Authorize(_ context.Context, req JoinRequest) (Grant, error) {
	np.mu.Lock()
	np.reqs = append(np.reqs, req)
	np.mu.Unlock()
	refusals := map[string]error{
		"bad-not-authorized":    ErrNotAuthorized,
		"bad-password-required": fmt.Errorf("room x: %w", ErrPasswordRequired),
		"bad-wrong-password":    fmt.Errorf("room x: %w", ErrWrongPassword),
		"bad-members-only":      fmt.Errorf("room x: %w", ErrMembersOnly),
		"bad-rate-limited":      fmt.Errorf("too fast: %w", ErrRateLimited),
		"bad-internal":          errors.New("database is locked"),
		"bad-stray-sentinel":    fmt.Errorf("lookup: %w", ErrRoomFull), // not a refusal: internal
	}
	if err, ok := refusals[req.Name]; ok {
		return Grant{}, err
	}
	g := Grant{UserID: "u-" + req.Name, Moderator: strings.HasPrefix(req.Name, "mod"),
		Lobby:      strings.HasPrefix(req.Name, "wait") || strings.HasPrefix(req.Name, "mod"),
		SchoolMode: strings.HasPrefix(req.Room, "school")}
	if strings.HasPrefix(req.Name, "max2") {
		g.MaxParticipants = 2
	}
	return g, nil
}

func (np *namePolicy) last() JoinRequest {
	np.mu.Lock()
	defer np.mu.Unlock()
	return np.reqs[len(np.reqs)-1]
}

// dialRawHeader is dialRaw with request headers.
func dialRawHeader(t *testing.T, url string, h http.Header) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &rawClient{t: t, conn: conn}
}

func TestAuthorizerRefusals(t *testing.T) {
	_, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	for _, code := range []string{"not-authorized", "password-required", "wrong-password", "members-only",
		"rate-limited", "internal"} {
		t.Run(code, func(t *testing.T) {
			c := dialRaw(t, url)
			c.send(`{"type":"join","v":1,"room":"auth","name":"bad-` + code + `"}`)
			c.expectError(code, true)
			c.expectClose(websocket.StatusPolicyViolation)
		})
	}
	t.Run("a stray sentinel is internal", func(t *testing.T) {
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"auth","name":"bad-stray-sentinel"}`)
		c.expectError("internal", true)
	})
	t.Run("password too long", func(t *testing.T) {
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"auth","name":"a","password":"` + strings.Repeat("p", 257) + `"}`)
		c.expectError("bad-message", true)
	})
}

func TestJoinRequestFields(t *testing.T) {
	np := &namePolicy{}
	_, url := newTestSFU(t, Config{Authorizer: np})
	h := http.Header{}
	h.Set("Cookie", "conclave_session=s3cret")
	c := dialRawHeader(t, url, h)
	c.send(`{"type":"join","v":1,"room":"req","name":"  Ada  ","token":"tok","password":"` +
		strings.Repeat("p", 256) + `"}`)
	c.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
	req := np.last()
	if req.Room != "req" || req.Name != "Ada" || req.Token != "tok" || len(req.Password) != 256 {
		t.Errorf("request %+v", req)
	}
	if !req.RemoteAddr.IsLoopback() {
		t.Errorf("remote address %v, want loopback", req.RemoteAddr)
	}
	if got := req.Header.Get("Cookie"); got != "conclave_session=s3cret" {
		t.Errorf("cookie header %q", got)
	}
}

func TestGrantRoomLimitAndRole(t *testing.T) {
	_, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	a := dialRaw(t, url)
	if w := a.join("lim", "max2-a"); w.Limits.MaxParticipants != 2 {
		t.Errorf("welcome maxParticipants %d, want the grant's 2", w.Limits.MaxParticipants)
	}
	m := dialRaw(t, url)
	w := m.join("lim", "mod-b")
	if w.Limits.MaxParticipants != DefaultMaxParticipants {
		t.Errorf("welcome maxParticipants %d, want the default for a grant without a limit", w.Limits.MaxParticipants)
	}
	if len(w.Participants) != 1 || w.Participants[0].Role != RoleParticipant {
		t.Errorf("roster %+v, want one participant with role participant", w.Participants)
	}
	joined := a.expect("participant-joined", func(m serverMsg) bool { return m.Type == "participant-joined" })
	if joined.Participant.Role != RoleModerator {
		t.Errorf("moderator shown with role %q", joined.Participant.Role)
	}
	// Each join's grant decides: a third join under a limit of 2 is
	// refused, one without a limit gets in.
	c := dialRaw(t, url)
	c.send(`{"type":"join","v":1,"room":"lim","name":"max2-c"}`)
	c.expectError("room-full", true)
	dialRaw(t, url).join("lim", "d")
}
