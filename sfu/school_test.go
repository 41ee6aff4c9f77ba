package sfu

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// updated matches a participant-updated about id that check accepts.
func updated(id string, check func(ParticipantInfo) bool) func(serverMsg) bool {
	return func(m serverMsg) bool {
		return m.Type == "participant-updated" && m.Participant != nil && m.Participant.ID == id && check(*m.Participant)
	}
}

func isType(typ string) func(serverMsg) bool { return func(m serverMsg) bool { return m.Type == typ } }

// packets counts what rx received of tx's track kind ("audio", "video").
func packets(rx, tx *testPeer, kind string) int {
	if r := rx.track(tx.id, kind+"-"+tx.name); r != nil {
		return r.count(0, 0xffff)
	}
	return 0
}

// expectErrorNext checks that p's next error has code.
func expectErrorNext(t *testing.T, p *testPeer, code string) {
	t.Helper()
	p.seen = nil
	if m := p.waitEvent(5*time.Second, "an error", isType("error")); m.Code != code || m.Fatal {
		t.Errorf("%s: error %s (fatal %v), want %s", p.name, m.Code, m.Fatal, code)
	}
}

// drainEvents moves what p has received into p.seen and returns it all.
func drainEvents(p *testPeer) []serverMsg {
	for {
		select {
		case m := <-p.events:
			p.seen = append(p.seen, m)
		default:
			return p.seen
		}
	}
}

func TestSchoolMode(t *testing.T) {
	_, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	tea := dialPeer(t, url, "school-a", "mod-tea", "")
	ann := dialPeer(t, url, "school-a", "ann", "")
	bob := dialPeer(t, url, "school-a", "bob", "")
	tea.waitEvent(5*time.Second, "ann joins held", func(m serverMsg) bool {
		return m.Type == "participant-joined" && m.Participant.ID == ann.id && !m.Participant.CanUnmute &&
			!m.Participant.CanShare
	})
	ann.publish()
	eventually(t, 15*time.Second, "ann's video at bob", func() bool { return packets(bob, ann, "video") > 20 })
	if n := packets(bob, ann, "audio"); n != 0 {
		t.Errorf("bob got %d packets of ann's held microphone", n)
	}

	// Held: no unmute, no screen share.
	ann.sendJSON(map[string]any{"type": "mute", "trackId": "audio-ann", "muted": false})
	expectErrorNext(t, ann, "not-allowed")
	ann.sendJSON(map[string]any{"type": "publish", "trackId": "screen-ann", "kind": "video", "source": "screen"})
	expectErrorNext(t, ann, "not-allowed")

	// allow-unmute lifts the hold.
	tea.sendJSON(map[string]any{"type": "moderate", "action": "allow-unmute", "participantId": ann.id})
	ann.waitEvent(5*time.Second, "unmute-allowed", isType("unmute-allowed"))
	for _, p := range []*testPeer{tea, ann, bob} {
		p.waitEvent(5*time.Second, "ann may unmute", updated(ann.id, func(i ParticipantInfo) bool { return i.CanUnmute }))
	}
	eventually(t, 5*time.Second, "ann's audio at bob", func() bool { return packets(bob, ann, "audio") > 10 })

	// A moderator's mute holds it again; ann cannot lift it herself.
	tea.sendJSON(map[string]any{"type": "moderate", "action": "mute", "participantId": ann.id})
	ann.waitEvent(5*time.Second, "muted-by-moderator", isType("muted-by-moderator"))
	bob.waitEvent(5*time.Second, "ann held again", updated(ann.id, func(i ParticipantInfo) bool { return !i.CanUnmute }))
	ann.sendJSON(map[string]any{"type": "mute", "trackId": "audio-ann", "muted": false})
	expectErrorNext(t, ann, "not-allowed")
	time.Sleep(200 * time.Millisecond) // packets in flight
	a0 := packets(bob, ann, "audio")
	time.Sleep(400 * time.Millisecond)
	if a1 := packets(bob, ann, "audio"); a1 != a0 {
		t.Errorf("held audio still forwarded: %d -> %d packets", a0, a1)
	}

	// allow-screen: the next screen publish is accepted.
	tea.sendJSON(map[string]any{"type": "moderate", "action": "allow-screen", "participantId": ann.id})
	ann.waitEvent(5*time.Second, "screen-allowed", isType("screen-allowed"))
	bob.waitEvent(5*time.Second, "ann may share", updated(ann.id, func(i ParticipantInfo) bool { return i.CanShare }))
	ann.sendJSON(map[string]any{"type": "publish", "trackId": "screen-ann", "kind": "video", "source": "screen"})
	ann.sendJSON(map[string]any{"type": "dance"})
	expectErrorNext(t, ann, "unknown-type") // and no not-allowed before it

	// No moderation of oneself; promote, then the new moderator ends
	// school mode and every hold with it.
	tea.sendJSON(map[string]any{"type": "moderate", "action": "mute", "participantId": tea.id})
	expectErrorNext(t, tea, "not-allowed")
	ann.sendJSON(map[string]any{"type": "set-school-mode", "on": false})
	expectErrorNext(t, ann, "not-allowed")
	tea.sendJSON(map[string]any{"type": "moderate", "action": "promote", "participantId": bob.id})
	for _, p := range []*testPeer{ann, bob} {
		p.waitEvent(5*time.Second, "bob promoted", updated(bob.id, func(i ParticipantInfo) bool {
			return i.Role == RoleModerator && i.CanUnmute && i.CanShare
		}))
	}
	bob.sendJSON(map[string]any{"type": "set-school-mode", "on": false})
	ann.waitEvent(5*time.Second, "school mode off", func(m serverMsg) bool {
		return m.Type == "room-updated" && m.Room != nil && !m.Room.SchoolMode
	})
	tea.waitEvent(5*time.Second, "ann free", updated(ann.id, func(i ParticipantInfo) bool { return i.CanUnmute }))
	eventually(t, 5*time.Second, "ann's audio after school mode", func() bool { return packets(bob, ann, "audio") > a0+10 })

	// On again: ann's unmuted microphone is muted as by a moderator.
	ann.sendJSON(map[string]any{"type": "mute", "trackId": "audio-ann", "muted": false})
	tea.waitEvent(5*time.Second, "ann unmuted", func(m serverMsg) bool {
		return m.Type == "mute" && m.ParticipantID == ann.id && !m.Muted
	})
	ann.seen, tea.seen = nil, nil
	bob.sendJSON(map[string]any{"type": "set-school-mode", "on": true})
	ann.waitEvent(5*time.Second, "muted-by-moderator", isType("muted-by-moderator"))
	tea.waitEvent(5*time.Second, "mute of ann's microphone", func(m serverMsg) bool {
		return m.Type == "mute" && m.ParticipantID == ann.id && m.TrackID == "audio-ann" && m.Muted
	})
	tea.waitEvent(5*time.Second, "ann held", updated(ann.id, func(i ParticipantInfo) bool {
		return !i.CanUnmute && !i.CanShare
	}))
}

func TestSchoolModeFromGo(t *testing.T) {
	s, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	mod, ann := dialRaw(t, url), dialRaw(t, url)
	if w := mod.join("go", "mod-max"); w.Room == nil || w.Room.SchoolMode {
		t.Fatalf("room %+v, want no school mode from a grant without it", w.Room)
	}
	aw := ann.join("go", "ann")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"school mode in no room", s.SetSchoolMode("nowhere", true), ErrRoomNotFound},
		{"promote nobody", s.PromoteParticipant("go", "p_nobody"), ErrParticipantNotFound},
		{"allow nobody to unmute", s.AllowUnmute("go", "p_nobody"), ErrParticipantNotFound},
		{"allow screen in no room", s.AllowScreen("nowhere", aw.ParticipantID), ErrRoomNotFound},
		{"school mode on", s.SetSchoolMode("go", true), nil},
		{"again", s.SetSchoolMode("go", true), nil},
		{"allow ann's screen", s.AllowScreen("go", aw.ParticipantID), nil},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if m := nextOfType(ann, "room-updated"); m.Room == nil || !m.Room.SchoolMode {
		t.Errorf("room-updated %+v", m.Room)
	}
	m := nextOfType(ann, "participant-updated")
	if m.Participant.ID != aw.ParticipantID || m.Participant.CanUnmute || m.Participant.CanShare {
		t.Errorf("participant-updated %+v, want ann held", m.Participant)
	}
	nextOfType(ann, "screen-allowed")
	if rooms := s.Rooms(); len(rooms) != 1 || !rooms[0].SchoolMode {
		t.Errorf("Rooms() %+v, want school mode", rooms)
	}
	// Outside school mode allow-unmute is a request to unmute and changes
	// nothing else.
	if err := s.SetSchoolMode("go", false); err != nil {
		t.Fatal(err)
	}
	if err := s.AllowUnmute("go", aw.ParticipantID); err != nil {
		t.Fatal(err)
	}
	if m := nextOfType(ann, "room-updated"); m.Room.SchoolMode {
		t.Errorf("room-updated %+v", m.Room)
	}
	nextOfType(ann, "unmute-allowed")

	// The first grant of a room brings its school mode; later ones do not.
	sc := dialRaw(t, url)
	cw := sc.join("school-b", "cy")
	if !cw.Room.SchoolMode || cw.Self.CanUnmute || cw.Self.CanShare {
		t.Errorf("school room: %+v, self %+v", cw.Room, cw.Self)
	}
	// Allowances and a promotion survive a resume.
	resume := func(token string) serverMsg {
		t.Helper()
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"school-b","name":"cy","resume":"` + token + `"}`)
		return nextOfType(c, "welcome")
	}
	if err := s.AllowUnmute("school-b", cw.ParticipantID); err != nil {
		t.Fatal(err)
	}
	_ = sc.conn.CloseNow()
	w := resume(cw.ResumeToken)
	if !w.Resumed || !w.Self.CanUnmute || w.Self.CanShare || w.Self.Role != RoleParticipant {
		t.Errorf("resumed after allow-unmute: self %+v", w.Self)
	}
	if err := s.PromoteParticipant("school-b", cw.ParticipantID); err != nil {
		t.Fatal(err)
	}
	if w = resume(w.ResumeToken); w.Self.Role != RoleModerator || !w.Self.CanShare {
		t.Errorf("resumed after a promotion: self %+v", w.Self)
	}
	if err := s.SetSchoolMode("school-b", false); err != nil {
		t.Fatal(err)
	}
	if w := dialRaw(t, url).join("school-b", "dan"); w.Room.SchoolMode || !w.Self.CanUnmute {
		t.Errorf("a later grant changed the room: %+v, self %+v", w.Room, w.Self)
	}
}

func TestRefusedScreenIsNotPublished(t *testing.T) {
	_, url := newTestSFU(t, Config{Authorizer: &namePolicy{}})
	api := levelAPI(t)
	tea := dialPeerWith(t, api, url, "school-c", "mod-tea", "")
	ann := dialPeerWith(t, api, url, "school-c", "ann", "")
	var level atomic.Int32
	level.Store(20)
	// ann sends the refused screen audio anyway, then her microphone.
	publishAudio(t, ann, "share-ann", "screen-audio", &level)
	expectErrorNext(t, ann, "not-allowed")
	publishLevel(t, ann, &level)
	tea.waitEvent(10*time.Second, "ann's microphone published", func(m serverMsg) bool {
		return m.Type == "track-published" && m.Track.TrackID == "audio-ann"
	})
	time.Sleep(800 * time.Millisecond) // the refused track has been arriving for longer; speech would show
	for _, m := range drainEvents(tea) {
		if m.Type == "track-published" && m.Track.TrackID != "audio-ann" {
			t.Errorf("a refused track was published as %+v", *m.Track)
		}
		if m.Type == "speakers" && len(m.Active) > 0 {
			t.Errorf("a held participant is listed as speaking: %v", m.Active)
		}
	}
}
