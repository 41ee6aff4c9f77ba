package client

import (
	"encoding/json"
	"log/slog"
	"testing"
)

func newRosterClient(onRelay func(string, json.RawMessage)) *Client {
	return &Client{cfg: Config{OnRelay: onRelay}, log: slog.New(slog.DiscardHandler), participantID: "p_me",
		roster: map[string]Participant{"p_a": {ID: "p_a", Name: "Ada"}}}
}

func TestRoomEvents(t *testing.T) {
	c := newRosterClient(nil)
	steps := []struct {
		name, typ, msg string
		want           []Participant
	}{
		{"joined", "participant-joined", `{"participant":{"id":"p_b","name":"Bob","tracks":[]}}`,
			[]Participant{{ID: "p_a", Name: "Ada"}, {ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
		{"published", "track-published", `{"participantId":"p_b","track":{"trackId":"t1","kind":"video","source":"camera"}}`,
			[]Participant{{ID: "p_a", Name: "Ada"}, {ID: "p_b", Name: "Bob", Tracks: []TrackInfo{{TrackID: "t1", Kind: "video", Source: "camera"}}}}},
		{"muted", "mute", `{"participantId":"p_b","trackId":"t1","muted":true}`,
			[]Participant{{ID: "p_a", Name: "Ada"}, {ID: "p_b", Name: "Bob", Tracks: []TrackInfo{{TrackID: "t1", Kind: "video", Source: "camera", Muted: true}}}}},
		{"unpublished", "track-unpublished", `{"participantId":"p_b","trackId":"t1"}`,
			[]Participant{{ID: "p_a", Name: "Ada"}, {ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
		{"left", "participant-left", `{"participantId":"p_a","reason":"left"}`,
			[]Participant{{ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
		{"unknown participant ignored", "track-published", `{"participantId":"p_x","track":{"trackId":"t"}}`,
			[]Participant{{ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
		{"an update about ourselves stays out of the roster", "participant-updated", `{"participant":{"id":"p_me","name":"Me","role":"moderator"}}`,
			[]Participant{{ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
		{"bad json ignored", "participant-left", `{"participantId":`,
			[]Participant{{ID: "p_b", Name: "Bob", Tracks: []TrackInfo{}}}},
	}
	for _, st := range steps {
		c.onRoomEvent(st.typ, []byte(st.msg))
		got, _ := json.Marshal(c.Participants())
		want, _ := json.Marshal(st.want)
		if string(got) != string(want) {
			t.Fatalf("after %s: got %s, want %s", st.name, got, want)
		}
	}
}

func TestRelayCallback(t *testing.T) {
	var from, data string
	c := newRosterClient(func(f string, d json.RawMessage) { from, data = f, string(d) })
	c.onRelay([]byte(`{"type":"relay","from":"p_a","data":{"chat":"hi"}}`))
	if from != "p_a" || data != `{"chat":"hi"}` {
		t.Errorf("got from %q data %s, want p_a and the data unchanged", from, data)
	}
}

// FuzzServerEvent feeds arbitrary server messages to the handlers that need no connection:
// none may panic, and the roster never holds a participant under another participant's ID.
func FuzzServerEvent(f *testing.F) {
	types := []string{"participant-joined", "participant-left", "participant-updated",
		"track-published", "track-unpublished", "mute", "relay"}
	seeds := []string{
		`{"participant":{"id":"p_b","name":"Bob","tracks":[{"trackId":"t","kind":"video"}]}}`,
		`{"participantId":"p_a","track":{"trackId":"t","kind":"audio"}}`,
		`{"participantId":"p_a","trackId":"t","muted":true}`,
		`{"participant":null}`, `{"from":"p_a","data":[1,2]}`, `[]`, `null`, `{"track":7}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, typ uint8, msg []byte) {
		c := newRosterClient(func(string, json.RawMessage) {})
		name := types[int(typ)%len(types)]
		if name == "relay" {
			c.onRelay(msg)
			return
		}
		c.onRoomEvent(name, msg)
		c.onRoomEvent(name, msg)
		for _, p := range c.Participants() {
			if c.roster[p.ID].ID != p.ID {
				t.Fatalf("roster key %q holds participant %q", p.ID, c.roster[p.ID].ID)
			}
		}
	})
}
