package sfu

import (
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
)

func TestResumeKeepsParticipantID(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	_, url := newTestSFU(t, Config{})
	ada := dialPeer(t, url, "resume", "ada", "")
	ada.publish()
	bob := dialPeer(t, url, "resume", "bob", "")
	bob.publish()
	waitFlowing(t, []*testPeer{ada, bob})

	bob.dropSocket()
	bob2 := dialPeer(t, url, "resume", "bob", bob.token)
	if bob2.id != bob.id {
		t.Fatalf("resumed participant ID %q, want %q", bob2.id, bob.id)
	}
	if bob2.token == bob.token || bob2.token == "" {
		t.Errorf("resume token not renewed: %q", bob2.token)
	}
	// The old session's tracks end at ada; the new one publishes again.
	for _, k := range peerTracks {
		ada.waitEvent(5*time.Second, "track-unpublished "+k, func(m serverMsg) bool {
			return m.Type == "track-unpublished" && m.ParticipantID == bob.id && m.TrackID == k+"-bob"
		})
	}
	ada.waitEvent(5*time.Second, "participant-updated", func(m serverMsg) bool {
		return m.Type == "participant-updated" && m.Participant != nil && m.Participant.ID == bob.id
	})
	bob.close()
	bob2.publish()
	ada.mu.Lock()
	clear(ada.recv) // forget the old session's tracks
	ada.mu.Unlock()
	peers := []*testPeer{ada, bob2}
	waitFlowing(t, peers)
	from := window(peers)
	time.Sleep(time.Second)
	checkDelivery(t, peers, from, 0.99)
	for _, m := range ada.seen {
		if m.Type == "participant-left" {
			t.Errorf("ada was told bob left (%s) during a resume", m.Reason)
		}
	}
}

func TestResumeWindowExpires(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	_, url := newTestSFU(t, Config{ResumeWindow: 500 * time.Millisecond})
	ada := dialPeer(t, url, "expire", "ada", "")
	bob := dialPeer(t, url, "expire", "bob", "")
	bob.dropSocket()
	ada.waitEvent(5*time.Second, "participant-left timeout", func(m serverMsg) bool {
		return m.Type == "participant-left" && m.ParticipantID == bob.id && m.Reason == "timeout"
	})
	// The token died with the participant: a resume now is a fresh join.
	bob2 := dialPeer(t, url, "expire", "bob", bob.token)
	if bob2.id == bob.id {
		t.Errorf("expired resume kept the participant ID %q", bob.id)
	}
}
