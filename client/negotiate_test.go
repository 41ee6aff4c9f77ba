package client_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"conclave/client"

	"github.com/pion/transport/v5/test"
)

// testLogger discards logs unless CONCLAVE_TEST_LOG=1 (pion's goroutines may log after a
// test returned, where t.Log would panic).
func testLogger() *slog.Logger {
	if os.Getenv("CONCLAVE_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// waitFor polls cond until it holds or d passes; media arrival has no single event to wait on.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for %s", what)
		case <-tick.C:
		}
	}
}

// TestGlare makes the server answer the client's first offer with an offer of its own: the
// client must drop its offer, answer, and offer again, after which media flows both ways.
func TestGlare(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t)) // registered first: runs after every other cleanup
	g := newGlareServer(t)
	relays := make(chan string, 1)
	c, err := client.Join(t.Context(), client.Config{
		URL: g.url(), Room: "Glare", Name: "bot", Publish: client.Publish{Video: true, Audio: true},
		ICEIPFilter: loopbackOnly, Logger: testLogger(),
		OnRelay: func(from string, data json.RawMessage) { relays <- from + " " + string(data) },
	})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	defer c.Close()
	if got := c.ParticipantID(); got != "p_bot" {
		t.Errorf("got participant %q, want p_bot", got)
	}
	waitFor(t, 15*time.Second, "media both ways", func() bool {
		return c.Received("p_srv", "video").Packets >= 25 && g.packets("video") >= 25 && g.packets("audio") >= 25
	})
	if n := g.offersSeen.Load(); n != 2 {
		t.Errorf("got %d client offers, want 2 (one ignored in the glare, one answered)", n)
	}
	var published []string
	for range 2 {
		published = append(published, <-g.published)
	}
	for _, tr := range c.Published() {
		if !slices.Contains(published, tr.TrackID) {
			t.Errorf("track %s was not announced before its offer (announced %v)", tr.TrackID, published)
		}
	}
	if st := c.Stats(); st.JoinLatency <= 0 || st.SentPackets == 0 {
		t.Errorf("got join latency %v, %d sent packets; want both positive", st.JoinLatency, st.SentPackets)
	}

	if err := c.Relay("p_srv", map[string]string{"chat": "hi"}); err != nil {
		t.Fatalf("relay: %v", err)
	}
	if got, want := <-relays, `p_srv {"chat":"hi"}`; got != want {
		t.Errorf("got relay %q, want %q", got, want)
	}
}
