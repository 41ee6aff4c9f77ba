package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"conclave/client"
)

// TestAudioLevel: a speaking bot's microphone packets carry the RFC 6464 level of speech and a
// silent one's the level of silence, through the real SFU (which forwards the extension end to
// end, and reads it to find speakers).
func TestAudioLevel(t *testing.T) {
	url := startSFU(t)
	var mu sync.Mutex
	levels := map[string]byte{} // participant ID -> last level byte seen
	join := func(name string, speaking bool, onRTP func(client.RemoteTrack, *rtp.Packet)) *client.Client {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		c, err := client.Join(ctx, client.Config{URL: url, Room: "levels", Name: name, ICEIPFilter: loopbackOnly,
			Publish: client.Publish{Audio: true, Speaking: speaking}, Logger: testLogger().With("bot", name),
			OnRTP: onRTP})
		if err != nil {
			t.Fatalf("join %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	ada := join("ada", true, nil)
	bob := join("bob", false, nil)
	join("cy", false, func(tr client.RemoteTrack, p *rtp.Packet) {
		if tr.Kind != "audio" {
			return
		}
		for _, id := range p.Header.GetExtensionIDs() {
			if b := p.Header.GetExtension(id); len(b) == 1 {
				mu.Lock()
				levels[tr.ParticipantID] = b[0]
				mu.Unlock()
			}
		}
	})
	waitFor(t, 15*time.Second, "levels of ada and bob at cy", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return levels[ada.ParticipantID()] == 0x80|30 && levels[bob.ParticipantID()] == 127
	})
}
