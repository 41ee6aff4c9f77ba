package sfu

import (
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// knock sends a join that the namePolicy sends to the lobby and waits for
// the lobby message.
func knock(t *testing.T, url, room, name string) *rawClient {
	t.Helper()
	c := dialRaw(t, url)
	c.send(`{"type":"join","v":1,"room":"` + room + `","name":"` + name + `"}`)
	c.expect("lobby", func(m serverMsg) bool {
		if m.Type == "welcome" {
			t.Fatalf("%s was welcomed without waiting in the lobby", name)
		}
		return m.Type == "lobby"
	})
	return c
}

// knockOf waits for the knock of name at a moderator and returns its ID.
func knockOf(c *rawClient, name string) string {
	c.t.Helper()
	m := c.expect("knock of "+name, func(m serverMsg) bool {
		return m.Type == "knock" && m.Participant != nil && m.Participant.Name == name
	})
	return m.Participant.ID
}

func knockEnded(c *rawClient, id string) {
	c.t.Helper()
	c.expect("knock-ended", func(m serverMsg) bool { return m.Type == "knock-ended" && m.ParticipantID == id })
}

func TestLobby(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	amy := knock(t, url, "lob", "wait-amy")

	// A moderator joining sees who is waiting; the waiter sees nothing of
	// the room and cannot relay into it.
	mod := dialRaw(t, url)
	mod.join("lob", "mod-max")
	amyID := knockOf(mod, "wait-amy")
	amy.send(`{"type":"relay","data":"hello"}`)
	amy.expectError("not-allowed", false)
	if rooms := s.Rooms(); len(rooms) != 1 || len(rooms[0].Lobby) != 1 || rooms[0].Lobby[0].ID != amyID {
		t.Errorf("Rooms() lobby %+v, want amy", rooms)
	}

	// Admitted: the normal welcome, with the ID of the knock.
	mod.send(`{"type":"admit","participantId":"` + amyID + `"}`)
	knockEnded(mod, amyID)
	w := amy.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
	if w.ParticipantID != amyID || len(w.Participants) != 1 || w.Participants[0].Role != RoleModerator {
		t.Errorf("welcome %s roster %+v", w.ParticipantID, w.Participants)
	}
	mod.expect("participant-joined", func(m serverMsg) bool {
		return m.Type == "participant-joined" && m.Participant.ID == amyID && m.Participant.Role == RoleParticipant
	})
	amy.send(`{"type":"relay","data":"now in"}`)
	mod.expect("relay", func(m serverMsg) bool { return m.Type == "relay" && m.From == amyID })

	// Only moderators decide.
	ben := knock(t, url, "lob", "wait-ben")
	benID := knockOf(mod, "wait-ben")
	amy.send(`{"type":"admit","participantId":"` + benID + `"}`)
	amy.expectError("not-allowed", false)

	// Denied: a fatal lobby-denied.
	mod.send(`{"type":"deny","participantId":"` + benID + `"}`)
	knockEnded(mod, benID)
	ben.expectError("lobby-denied", true)
	ben.expectClose(websocket.StatusPolicyViolation)
	mod.send(`{"type":"admit","participantId":"` + benID + `"}`)
	mod.expectError("unknown-participant", false)

	// A waiter that leaves ends its knock.
	cat := knock(t, url, "lob", "wait-cat")
	catID := knockOf(mod, "wait-cat")
	cat.send(`{"type":"leave"}`)
	knockEnded(mod, catID)
	cat.expectClose(websocket.StatusNormalClosure)

	// From Go: Admit and Deny.
	dan := knock(t, url, "lob", "wait-dan")
	danID := knockOf(mod, "wait-dan")
	if err := s.Admit("lob", danID); err != nil {
		t.Fatalf("Admit: %v", err)
	}
	dan.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
	if err := s.Deny("lob", danID); !errors.Is(err, ErrParticipantNotFound) {
		t.Errorf("Deny of an admitted participant: %v, want ErrParticipantNotFound", err)
	}
	if err := s.Admit("nowhere", danID); !errors.Is(err, ErrRoomNotFound) {
		t.Errorf("Admit in a closed room: %v, want ErrRoomNotFound", err)
	}
}

func TestLobbyWithoutModerator(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}, LobbyTimeout: 300 * time.Millisecond})
	c := knock(t, url, "alone", "wait-eve")
	if len(s.Rooms()) != 1 {
		t.Errorf("the waiter's room is not listed")
	}
	c.expectError("lobby-timeout", true)
	c.expectClose(websocket.StatusPolicyViolation)
	eventually(t, 2*time.Second, "the empty room dropped", func() bool { return len(s.Rooms()) == 0 })

	// A waiter whose socket drops is forgotten, and its room with it.
	d := knock(t, url, "alone", "wait-fay")
	_ = d.conn.CloseNow()
	eventually(t, 2*time.Second, "the room of a vanished waiter dropped", func() bool { return len(s.Rooms()) == 0 })
}

func TestLobbyOnShutdown(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	c := knock(t, url, "down", "wait-gus")
	closed := make(chan error, 1)
	go func() { // read while Close runs: it waits for the close handshake
		_, _, err := c.conn.Read(t.Context())
		closed <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := websocket.CloseStatus(<-closed); got != websocket.StatusGoingAway {
		t.Errorf("waiter closed with %v, want 1001", got)
	}
}
