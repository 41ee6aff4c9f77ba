package admin

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvent reads one server-sent event and returns its data.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var event, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if event != "snapshot" {
				t.Fatalf("event %q, want snapshot", event)
			}
			return data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// openEvents opens /admin/events as the browser c.
func openEvents(t *testing.T, e *authzEnv, c *http.Client) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/admin/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, bufio.NewReader(resp.Body)
}

// TestEvents: the dashboard stream sends a snapshot at once and then
// follows the SFU; a moderator's stream holds only their rooms' meetings
// and no server health; Close ends every stream.
func TestEvents(t *testing.T) {
	e := newAuthzEnv(t)
	resp, r := openEvents(t, e, e.client(asAdmin))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	var snap snapshot
	if err := json.Unmarshal([]byte(readEvent(t, r)), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Meetings) != 3 || snap.Health == nil || snap.Health.Version != "test" ||
		snap.Meetings[0].Participants[0].Name != "Ada" {
		t.Errorf("admin snapshot: %+v", snap)
	}
	e.meetings.mu.Lock()
	e.meetings.list = e.meetings.list[:1]
	e.meetings.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for len(snap.Meetings) != 1 && time.Now().Before(deadline) {
		if err := json.Unmarshal([]byte(readEvent(t, r)), &snap); err != nil {
			t.Fatal(err)
		}
	}
	if len(snap.Meetings) != 1 {
		t.Errorf("the stream did not follow the change: %+v", snap.Meetings)
	}

	_, mr := openEvents(t, e, e.client(asMod))
	var mod snapshot
	if err := json.Unmarshal([]byte(readEvent(t, mr)), &mod); err != nil {
		t.Fatal(err)
	}
	if len(mod.Meetings) != 1 || mod.Meetings[0].Room != "mine" || mod.Health != nil {
		t.Errorf("moderator snapshot: %+v", mod)
	}

	e.admin.Close()
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := r.ReadString('\n'); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("the stream outlived Close")
	}
}

// TestEventsRefused: signed out is sent to sign in; members are refused.
func TestEventsRefused(t *testing.T) {
	e := newAuthzEnv(t)
	for as, want := range map[string]int{asAnon: 303, asMember: 403} {
		if r := e.do(e.client(as), "GET", "/admin/events", nil); r.status != want {
			t.Errorf("%s: got %d, want %d", as, r.status, want)
		}
	}
}
