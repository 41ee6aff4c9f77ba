package client_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"conclave/client"

	"github.com/pion/transport/v5/test"
)

// TestSimulcastThroughSFU: a bot publishes its camera as three encodings through the real
// SFU; a subscriber whose tile is 160x90 gets the 160-wide encoding, one whose tile is 640x360
// the 640-wide one, each read from the (decrypted, with E2EE) key frames it receives. Nobody
// gets the 320-wide encoding, so the server's layers message pauses it at the publisher; when
// the small tile grows, its subscriber moves up to 640 and the 160-wide encoding pauses too.
func TestSimulcastThroughSFU(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
	}{
		{"clear", nil},
		{"e2ee", secretOf(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(test.CheckRoutines(t))
			url := startSFU(t)
			join := func(name string, publish client.Publish, announced chan<- client.RemoteTrack) *client.Client {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				cfg := client.Config{URL: url, Room: "simulcast-" + tt.name, Name: name,
					Publish: publish, Secret: tt.secret, ICEIPFilter: loopbackOnly, Logger: testLogger().With("bot", name)}
				if announced != nil {
					cfg.OnTrackAnnounced = func(rt client.RemoteTrack) { announced <- rt }
				}
				c, err := client.Join(ctx, cfg)
				if err != nil {
					t.Fatalf("join %s: %v", name, err)
				}
				t.Cleanup(func() { _ = c.Close() })
				return c
			}
			pub := join("pub", client.Publish{Video: true, Simulcast: true}, nil)
			track := videoID(t, pub)
			type sub struct {
				c    *client.Client
				w, h int
			}
			var subs []sub
			for _, tile := range [][2]int{{160, 90}, {640, 360}} {
				// The server sends a simulcast video only to a tile it knows of: report it
				// when the offer announces the track, as a browser does from ontrack.
				announced := make(chan client.RemoteTrack, 4)
				c := join(fmt.Sprintf("sub-%d", tile[0]), client.Publish{}, announced)
				select {
				case rt := <-announced:
					if rt.TrackID != track || rt.Kind != "video" || rt.ParticipantID != pub.ParticipantID() {
						t.Fatalf("announced %+v, want %s's video %s", rt, pub.ParticipantID(), track)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no track announced")
				}
				if err := c.SetVideoSize(track, tile[0], tile[1]); err != nil {
					t.Fatalf("video size: %v", err)
				}
				subs = append(subs, sub{c, tile[0], tile[1]})
			}
			for _, s := range subs {
				waitFor(t, 15*time.Second, "a key frame of the tile's encoding", func() bool {
					st := s.c.Received(pub.ParticipantID(), "video")
					return st.Width == s.w && st.Height == s.h
				})
				st := s.c.Received(pub.ParticipantID(), "video")
				t.Logf("tile %dx%d: %dx%d, %d key frames, %d packets, %d decrypted, %d failed",
					s.w, s.h, st.Width, st.Height, st.KeyFrames, st.Packets, st.Decrypted, st.DecryptFailures)
			}
			waitFor(t, 15*time.Second, "layers q and f at the publisher", func() bool {
				return slices.Equal(pub.ActiveLayers(track), []string{"q", "f"})
			})
			// The small tile grows: that subscriber moves up to f, and q is paused too.
			if err := subs[0].c.SetVideoSize(track, 640, 360); err != nil {
				t.Fatalf("video size: %v", err)
			}
			waitFor(t, 15*time.Second, "the grown tile's encoding", func() bool {
				return subs[0].c.Received(pub.ParticipantID(), "video").Width == 640
			})
			waitFor(t, 15*time.Second, "layer f alone at the publisher", func() bool {
				return slices.Equal(pub.ActiveLayers(track), []string{"f"})
			})
		})
	}
}
