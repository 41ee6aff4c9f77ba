package sfu

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
)

// peerTracks are the two tracks every test peer publishes.
var peerTracks = []string{"video", "audio"}

// waitFlowing waits until every peer receives every other peer's tracks.
func waitFlowing(t *testing.T, peers []*testPeer) {
	t.Helper()
	waitReceiving(t, peers, peers)
}

// waitReceiving waits until every receiver gets every publisher's tracks.
func waitReceiving(t *testing.T, receivers, publishers []*testPeer) {
	t.Helper()
	eventually(t, 15*time.Second, "media flowing", func() bool {
		for _, rx := range receivers {
			for _, tx := range publishers {
				if rx == tx {
					continue
				}
				for _, k := range peerTracks {
					r := rx.track(tx.id, k+"-"+tx.name)
					if r == nil || r.count(0, 0xffff) == 0 {
						return false
					}
				}
			}
		}
		return true
	})
}

// window marks where each source is now, so that what is sent from here on
// can be counted at the receivers.
func window(peers []*testPeer) map[*testSource]uint16 {
	w := map[*testSource]uint16{}
	for _, p := range peers {
		p.mu.Lock()
		for _, s := range p.sent {
			w[s] = uint16(s.next.Load())
		}
		p.mu.Unlock()
	}
	return w
}

// checkDelivery asserts that every receiver got at least minRatio of each
// other peer's packets sent between from and now, byte-exact, on one
// rewritten SSRC per track.
func checkDelivery(t *testing.T, peers []*testPeer, from map[*testSource]uint16, minRatio float64) {
	t.Helper()
	to := window(peers)
	ok := func(rx, tx *testPeer, s *testSource) error {
		r := rx.track(tx.id, s.track.ID())
		if r == nil {
			return fmt.Errorf("%s has no track %s of %s", rx.name, s.track.ID(), tx.name)
		}
		sent := int(to[s] - from[s])
		got := r.count(from[s], to[s])
		if float64(got) < minRatio*float64(sent) {
			return fmt.Errorf("%s got %d of %d packets of %s (missing %v)", rx.name, got, sent, s.track.ID(),
				r.missing(from[s], to[s]))
		}
		return nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, rx := range peers {
		for _, tx := range peers {
			if rx == tx {
				continue
			}
			for _, s := range tx.sent {
				var err error
				for err = ok(rx, tx, s); err != nil && time.Now().Before(deadline); err = ok(rx, tx, s) {
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					t.Error(err)
				}
				checkTrackIntegrity(t, rx, tx, s)
			}
		}
	}
}

// checkTrackIntegrity: no payload differed from what was sent, and every
// packet came on the SSRC the SDP announced, not the publisher's.
func checkTrackIntegrity(t *testing.T, rx, tx *testPeer, s *testSource) {
	t.Helper()
	r := rx.track(tx.id, s.track.ID())
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad != 0 {
		t.Errorf("%s: %d packets of %s with altered payload", rx.name, r.bad, s.track.ID())
	}
	if len(r.ssrcs) != 1 || r.ssrcs[r.ssrc] == 0 {
		t.Errorf("%s: %s arrived on SSRCs %v, want only %d", rx.name, s.track.ID(), r.ssrcs, r.ssrc)
	}
	if pub := senderSSRC(s.sender); r.ssrc == pub {
		t.Errorf("%s: %s kept the publisher's SSRC %d", rx.name, s.track.ID(), pub)
	}
}

func TestThreePeersForwardByteExact(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t)) // runs last: after the SFU and the peers are closed
	_, url := newTestSFU(t, Config{})
	var peers []*testPeer
	for _, name := range []string{"ada", "bob", "cy"} {
		p := dialPeer(t, url, "room-1", name, "")
		p.publish()
		peers = append(peers, p)
	}
	waitFlowing(t, peers)
	from := window(peers)
	time.Sleep(2 * time.Second)
	checkDelivery(t, peers, from, 0.99)

	// cy leaves: the others see its tracks end.
	cy := peers[2]
	cy.sendJSON(map[string]any{"type": "leave"})
	for _, p := range peers[:2] {
		for _, k := range peerTracks {
			p.waitEvent(5*time.Second, "track-unpublished "+k, func(m serverMsg) bool {
				return m.Type == "track-unpublished" && m.ParticipantID == cy.id && m.TrackID == k+"-cy"
			})
			r := p.track(cy.id, k+"-cy")
			select {
			case <-r.ended:
			case <-time.After(5 * time.Second):
				t.Errorf("%s: track %s of cy did not end", p.name, k)
			}
		}
		p.waitEvent(5*time.Second, "participant-left", func(m serverMsg) bool {
			return m.Type == "participant-left" && m.ParticipantID == cy.id && m.Reason == "left"
		})
	}
	cy.close()
	// The two left keep exchanging media.
	from = window(peers[:2])
	time.Sleep(time.Second)
	checkDelivery(t, peers[:2], from, 0.99)
	for _, p := range peers[:2] {
		p.close()
	}
}
