package sfu

import (
	"errors"
	"testing"
	"time"
)

// nextOfType reads c's messages up to the next one of type typ.
func nextOfType(c *rawClient, typ string) serverMsg {
	c.t.Helper()
	return c.expect(typ, func(m serverMsg) bool { return m.Type == typ })
}

func TestRoomLock(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	mod := dialRaw(t, url)
	w := mod.join("lock", "mod-max")
	if w.Room == nil || *w.Room != (RoomState{}) {
		t.Errorf("welcome room %+v, want unlocked, no school mode", w.Room)
	}
	if w.Self == nil || w.Self.ID != w.ParticipantID || w.Self.Role != RoleModerator || !w.Self.CanUnmute ||
		!w.Self.CanShare || w.Self.Index != w.Index {
		t.Errorf("welcome self %+v", w.Self)
	}
	ann := dialRaw(t, url)
	aw := ann.join("lock", "ann")
	if aw.Self == nil || aw.Self.Role != RoleParticipant || !aw.Self.CanUnmute || len(aw.Participants) != 1 ||
		!aw.Participants[0].CanShare {
		t.Errorf("participant's welcome: self %+v, roster %+v", aw.Self, aw.Participants)
	}

	ann.send(`{"type":"lock-room","locked":true}`)
	ann.expectError("not-allowed", false)
	mod.send(`{"type":"lock-room","locked":true}`)
	for _, c := range []*rawClient{mod, ann} {
		if m := nextOfType(c, "room-updated"); m.Room == nil || !m.Room.Locked || m.Room.SchoolMode {
			t.Errorf("room-updated %+v, want locked", m.Room)
		}
	}
	mod.send(`{"type":"lock-room","locked":true}`) // no change: no message

	// New joins wait, whatever their policy; moderators and resumes get in.
	bea := knock(t, url, "lock", "bea")
	beaID := knockOf(mod, "bea")
	cy := knock(t, url, "lock", "wait-cy")
	cyID := knockOf(mod, "wait-cy")
	dialRaw(t, url).join("lock", "mod-zed")
	_ = ann.conn.CloseNow()
	ann2 := dialRaw(t, url)
	ann2.send(`{"type":"join","v":1,"room":"lock","name":"ann","resume":"` + aw.ResumeToken + `"}`)
	if m := nextOfType(ann2, "welcome"); !m.Resumed || m.Room == nil || !m.Room.Locked {
		t.Errorf("resume into a locked room: resumed %v, room %+v", m.Resumed, m.Room)
	}
	if rooms := s.Rooms(); len(rooms) != 1 || !rooms[0].Locked || rooms[0].SchoolMode || len(rooms[0].Lobby) != 2 {
		t.Errorf("Rooms() %+v, want locked with two waiting", rooms)
	}

	// Unlocking admits who waited only because of the lock.
	if err := s.LockRoom("lock", false); err != nil {
		t.Fatal(err)
	}
	if m := nextOfType(mod, "room-updated"); m.Room == nil || m.Room.Locked {
		t.Errorf("room-updated %+v after the unlock (a repeated lock must send nothing)", m.Room)
	}
	knockEnded(mod, beaID)
	if m := nextOfType(bea, "welcome"); m.ParticipantID != beaID || m.Room == nil || m.Room.Locked {
		t.Errorf("bea's welcome: id %s (knock %s), room %+v", m.ParticipantID, beaID, m.Room)
	}
	eventually(t, 2*time.Second, "cy still waiting alone", func() bool {
		r := s.Rooms()
		return len(r) == 1 && len(r[0].Lobby) == 1 && r[0].Lobby[0].ID == cyID
	})
	mod.send(`{"type":"admit","participantId":"` + cyID + `"}`)
	nextOfType(cy, "welcome")

	if err := s.LockRoom("nowhere", true); !errors.Is(err, ErrRoomNotFound) {
		t.Errorf("LockRoom of no room: %v", err)
	}
}
