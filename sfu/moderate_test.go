package sfu

import (
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func isError(code string) func(serverMsg) bool {
	return func(m serverMsg) bool { return m.Type == "error" && m.Code == code }
}

// closedWith waits for p's socket to end and checks the close code.
func closedWith(t *testing.T, p *testPeer, code websocket.StatusCode) {
	t.Helper()
	select {
	case <-p.closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: socket still open", p.name)
	}
	if got := websocket.CloseStatus(p.endErr); got != code {
		t.Errorf("%s: closed with %v (%v), want %v", p.name, got, p.endErr, code)
	}
}

func TestModeration(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	ada := dialPeer(t, url, "modr", "ada", "")
	bob := dialPeer(t, url, "modr", "mod-bob", "")
	cy := dialPeer(t, url, "modr", "cy", "")
	ada.publish()
	waitReceiving(t, []*testPeer{bob, cy}, []*testPeer{ada})

	for _, msg := range []map[string]any{{"type": "moderate", "action": "mute", "participantId": ada.id},
		{"type": "end-meeting"}} {
		cy.sendJSON(msg)
		cy.waitEvent(5*time.Second, "not-allowed", isError("not-allowed"))
		cy.seen = nil
	}

	// Mute: forwarding stops at once, the room and the muted are told.
	bob.sendJSON(map[string]any{"type": "moderate", "action": "mute", "participantId": ada.id})
	ada.waitEvent(5*time.Second, "muted-by-moderator", func(m serverMsg) bool { return m.Type == "muted-by-moderator" })
	cy.waitEvent(5*time.Second, "mute of ada's audio", func(m serverMsg) bool {
		return m.Type == "mute" && m.ParticipantID == ada.id && m.TrackID == "audio-ada"
	})
	audio, video := cy.track(ada.id, "audio-ada"), cy.track(ada.id, "video-ada")
	time.Sleep(200 * time.Millisecond) // packets in flight
	a0, v0 := audio.count(0, 0xffff), video.count(0, 0xffff)
	time.Sleep(500 * time.Millisecond)
	if a1, v1 := audio.count(0, 0xffff), video.count(0, 0xffff); a1 != a0 || v1 <= v0 {
		t.Errorf("after the mute: audio %d -> %d packets (want no change), video %d -> %d (want more)", a0, a1, v0, v1)
	}
	// The participant unmutes itself: forwarding resumes.
	ada.sendJSON(map[string]any{"type": "mute", "trackId": "audio-ada", "muted": false})
	eventually(t, 5*time.Second, "audio after the unmute", func() bool { return audio.count(0, 0xffff) > a0+10 })

	checkDashboard(t, s, ada, bob, cy)

	// Remove: a fatal removed for cy, kicked for the others.
	bob.sendJSON(map[string]any{"type": "moderate", "action": "remove", "participantId": cy.id})
	cy.waitEvent(5*time.Second, "removed", isError("removed"))
	closedWith(t, cy, websocket.StatusPolicyViolation)
	ada.waitEvent(5*time.Second, "participant-left kicked", func(m serverMsg) bool {
		return m.Type == "participant-left" && m.ParticipantID == cy.id && m.Reason == "kicked"
	})
	bob.sendJSON(map[string]any{"type": "moderate", "action": "remove", "participantId": cy.id})
	bob.waitEvent(5*time.Second, "unknown-participant", isError("unknown-participant"))

	// End the meeting: everyone gets ended and a normal close.
	bob.sendJSON(map[string]any{"type": "end-meeting"})
	for _, p := range []*testPeer{ada, bob} {
		p.waitEvent(5*time.Second, "ended", isError("ended"))
		closedWith(t, p, websocket.StatusNormalClosure)
	}
	eventually(t, 5*time.Second, "the room dropped", func() bool { return len(s.Rooms()) == 0 })
}

// checkDashboard: Rooms() shows role, join time, direct ICE and bitrates.
func checkDashboard(t *testing.T, s *SFU, pub, mod, sub *testPeer) {
	t.Helper()
	_ = s.Rooms() // starts the rate window
	time.Sleep(1100 * time.Millisecond)
	rooms := s.Rooms()
	if len(rooms) != 1 {
		t.Fatalf("%d rooms", len(rooms))
	}
	byID := map[string]ParticipantStatus{}
	for _, p := range rooms[0].Participants {
		byID[p.ID] = p
	}
	p, m, c := byID[pub.id], byID[mod.id], byID[sub.id]
	if p.Role != RoleParticipant || m.Role != RoleModerator || p.Index == 0 {
		t.Errorf("roles %q %q, index %d", p.Role, m.Role, p.Index)
	}
	if p.JoinedAt.IsZero() || time.Since(p.JoinedAt) > time.Minute {
		t.Errorf("joined at %v", p.JoinedAt)
	}
	if p.Relayed || c.Relayed {
		t.Errorf("loopback connections shown as relayed")
	}
	// ada sends 50 audio and 30 video packets a second of 60-1100 bytes.
	if p.BitrateIn < 50_000 || c.BitrateOut < 50_000 || c.BitrateIn != 0 {
		t.Errorf("bitrates: publisher in %d, subscriber out %d in %d", p.BitrateIn, c.BitrateOut, c.BitrateIn)
	}
}

func TestModerationFromGo(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	mod, ann := dialRaw(t, url), dialRaw(t, url)
	mod.join("go", "mod-max")
	aw := ann.join("go", "ann")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"mute in no room", s.MuteParticipant("nowhere", aw.ParticipantID), ErrRoomNotFound},
		{"remove nobody", s.RemoveParticipant("go", "p_nobody"), ErrParticipantNotFound},
		{"end no room", s.EndRoom("nowhere"), ErrRoomNotFound},
		{"mute ann", s.MuteParticipant("go", aw.ParticipantID), nil},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	ann.expect("muted-by-moderator", func(m serverMsg) bool { return m.Type == "muted-by-moderator" })

	// RemoveParticipant on a waiter denies it; EndRoom ends the lobby too.
	ben := knock(t, url, "go", "wait-ben")
	if err := s.RemoveParticipant("go", knockOf(mod, "wait-ben")); err != nil {
		t.Fatalf("remove a waiter: %v", err)
	}
	ben.expectError("lobby-denied", true)
	cat := knock(t, url, "go", "wait-cat")
	knockOf(mod, "wait-cat")
	if err := s.EndRoom("go"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*rawClient{cat, mod, ann} {
		c.expectError("ended", true)
		c.expectClose(websocket.StatusNormalClosure)
	}
}
