package sfu

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeClientMessage(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // message type, when valid
		wantErr error
	}{
		{"join", `{"type":"join","v":1,"room":"brisk-otter-42","name":" Ada ","resume":"abc"}`, "join", nil},
		{"join with unknown field", `{"type":"join","v":1,"room":"r","name":"Ada","future":[1,2]}`, "join", nil},
		{"join v2", `{"type":"join","v":2,"room":"r","name":"Ada"}`, "", ErrUnsupportedVersion},
		{"join without v", `{"type":"join","room":"r","name":"Ada"}`, "", ErrUnsupportedVersion},
		{"join upper-case room", `{"type":"join","v":1,"room":"Room","name":"Ada"}`, "", ErrBadRoom},
		{"join long room", `{"type":"join","v":1,"room":"` + strings.Repeat("a", 65) + `","name":"Ada"}`, "", ErrBadRoom},
		{"join name of 64 characters", `{"type":"join","v":1,"room":"r","name":"` + strings.Repeat("é", 64) + `"}`, "join", nil},
		{"join name of 65 characters", `{"type":"join","v":1,"room":"r","name":"` + strings.Repeat("é", 65) + `"}`, "", ErrBadName},
		{"join name with newline", `{"type":"join","v":1,"room":"r","name":"a\nb"}`, "", ErrBadName},
		{"offer", `{"type":"offer","sdp":"v=0"}`, "offer", nil},
		{"offer without sdp", `{"type":"offer"}`, "", ErrBadMessage},
		{"answer with number sdp", `{"type":"answer","sdp":1}`, "", ErrBadMessage},
		{"candidate", `{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}`, "candidate", nil},
		{"end of candidates", `{"type":"candidate","candidate":null}`, "candidate", nil},
		{"publish", `{"type":"publish","trackId":"t1","kind":"audio","source":"screen-audio"}`, "publish", nil},
		{"publish kind mismatch", `{"type":"publish","trackId":"t1","kind":"video","source":"microphone"}`, "", ErrBadMessage},
		{"publish unknown source", `{"type":"publish","trackId":"t1","kind":"video","source":"webcam"}`, "", ErrBadMessage},
		{"unpublish empty", `{"type":"unpublish","trackId":""}`, "", ErrBadMessage},
		{"mute", `{"type":"mute","trackId":"t1","muted":true}`, "mute", nil},
		{"relay to all", `{"type":"relay","data":{"k":[1,2,3]}}`, "relay", nil},
		{"relay to one", `{"type":"relay","to":"p_abc123","data":"x"}`, "relay", nil},
		{"relay without data", `{"type":"relay","to":"p_abc123"}`, "", ErrBadMessage},
		{"relay null data", `{"type":"relay","data":null}`, "", ErrBadMessage},
		{"relay bad recipient", `{"type":"relay","to":"../etc","data":1}`, "", ErrBadMessage},
		{"relay each", `{"type":"relay","each":{"p_a1":{"t":"key"},"p_b2":"x"}}`, "relay", nil},
		{"relay each and data", `{"type":"relay","each":{"p_a1":1},"data":1}`, "", ErrBadMessage},
		{"relay each and to", `{"type":"relay","each":{"p_a1":1},"to":"p_a1"}`, "", ErrBadMessage},
		{"relay each empty", `{"type":"relay","each":{}}`, "", ErrBadMessage},
		{"relay each null datum", `{"type":"relay","each":{"p_a1":null}}`, "", ErrBadMessage},
		{"relay each bad recipient", `{"type":"relay","each":{"../etc":1}}`, "", ErrBadMessage},
		{"leave", `{"type":"leave"}`, "leave", nil},
		{"join with password", `{"type":"join","v":1,"room":"r","name":"Ada","password":"` + strings.Repeat("p", 256) + `"}`, "join", nil},
		{"join password too long", `{"type":"join","v":1,"room":"r","name":"Ada","password":"` + strings.Repeat("p", 257) + `"}`, "", ErrBadMessage},
		{"admit", `{"type":"admit","participantId":"p_abc"}`, "admit", nil},
		{"deny without participant", `{"type":"deny"}`, "", ErrBadMessage},
		{"moderate mute", `{"type":"moderate","action":"mute","participantId":"p_abc"}`, "moderate", nil},
		{"moderate remove", `{"type":"moderate","action":"remove","participantId":"p_abc"}`, "moderate", nil},
		{"moderate unknown action", `{"type":"moderate","action":"ban","participantId":"p_abc"}`, "", ErrBadMessage},
		{"moderate bad participant", `{"type":"moderate","action":"mute","participantId":"Bob"}`, "", ErrBadMessage},
		{"end meeting", `{"type":"end-meeting"}`, "end-meeting", nil},
		{"moderate promote", `{"type":"moderate","action":"promote","participantId":"p_abc"}`, "moderate", nil},
		{"moderate allow-unmute", `{"type":"moderate","action":"allow-unmute","participantId":"p_abc"}`, "moderate", nil},
		{"moderate allow-screen", `{"type":"moderate","action":"allow-screen","participantId":"p_abc"}`, "moderate", nil},
		{"moderate action case", `{"type":"moderate","action":"Promote","participantId":"p_abc"}`, "", ErrBadMessage},
		{"lock room", `{"type":"lock-room","locked":true}`, "lock-room", nil},
		{"unlock room", `{"type":"lock-room","locked":false}`, "lock-room", nil},
		{"lock room without locked", `{"type":"lock-room"}`, "", ErrBadMessage},
		{"lock room null", `{"type":"lock-room","locked":null}`, "", ErrBadMessage},
		{"lock room string", `{"type":"lock-room","locked":"yes"}`, "", ErrBadMessage},
		{"school mode on", `{"type":"set-school-mode","on":true}`, "set-school-mode", nil},
		{"school mode without on", `{"type":"set-school-mode","locked":true}`, "", ErrBadMessage},
		{"school mode number", `{"type":"set-school-mode","on":1}`, "", ErrBadMessage},
		{"unknown type", `{"type":"dance"}`, "", ErrUnknownType},
		{"no type", `{"sdp":"v=0"}`, "", ErrBadMessage},
		{"type not a string", `{"type":7}`, "", ErrBadMessage},
		{"not an object", `[1,2]`, "", ErrBadMessage},
		{"not JSON", `{"type":`, "", ErrBadMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := decodeClientMessage([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err == nil && m.messageType() != tc.want {
				t.Errorf("type %q, want %q", m.messageType(), tc.want)
			}
		})
	}
	m, err := decodeClientMessage([]byte(`{"type":"join","v":1,"room":"r","name":"  Ada Lovelace "}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(joinMsg).Name; got != "Ada Lovelace" {
		t.Errorf("name %q, want it trimmed", got)
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrRoomFull, "room-full"},
		{errors.Join(errors.New("x"), ErrRateLimited), "rate-limited"},
		{clientErr(ErrBadSDP, "no"), "bad-sdp"},
		{errNotJoined, "not-joined"},
		{fmt.Errorf("room x: %w", ErrWrongPassword), "wrong-password"},
		{ErrPasswordRequired, "password-required"},
		{ErrMembersOnly, "members-only"},
		{ErrLobbyDenied, "lobby-denied"},
		{ErrLobbyTimeout, "lobby-timeout"},
		{ErrRemoved, "removed"},
		{ErrRoomEnded, "ended"},
		{ErrNotAllowed, "not-allowed"},
		{ErrParticipantNotFound, "unknown-participant"},
		{errAlreadyJoined, "already-joined"},
		{errors.New("disk on fire"), "internal"},
	}
	for _, tc := range tests {
		if got := errorCode(tc.err); got != tc.want {
			t.Errorf("errorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := publicMessage(errors.New("secret detail")); got != "internal server error" {
		t.Errorf("internal error leaks its text: %q", got)
	}
}

// FuzzSignalMessage decodes arbitrary client input. It must never panic;
// a refusal always carries a protocol code other than internal; an accepted
// message still validates and survives a JSON round trip.
func FuzzSignalMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","v":1,"room":"r","name":"Ada","resume":"x","token":"y"}`,
		`{"type":"offer","sdp":"v=0\r\n"}`, `{"type":"candidate","candidate":null}`,
		`{"type":"publish","trackId":"t","kind":"video","source":"camera","muted":true}`,
		`{"type":"relay","to":"p_a1","data":{"a":[{}]}}`, `{"type":"leave"}`, `{"type":"\u0000"}`,
		`{"type":"admit","participantId":"p_a1"}`, `{"type":"deny","participantId":"p_a1"}`,
		`{"type":"moderate","action":"remove","participantId":"p_a1"}`, `{"type":"end-meeting"}`,
		`{"type":"join","v":1,"room":"r","name":"Ada","password":"pw"}`,
		`{"type":"lock-room","locked":true}`, `{"type":"set-school-mode","on":false}`,
		`{"type":"moderate","action":"allow-screen","participantId":"p_a1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeClientMessage(data)
		if err != nil {
			if code := errorCode(err); code == "internal" {
				t.Fatalf("refusal without a protocol code: %v", err)
			}
			return
		}
		if _, err := validate(ptrTo(m)); err != nil {
			t.Fatalf("accepted message does not validate again: %v", err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted message does not marshal: %v", err)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		obj["type"] = m.messageType()
		b, _ = json.Marshal(obj)
		if _, err := decodeClientMessage(b); err != nil {
			t.Fatalf("round trip of %s refused: %v", b, err)
		}
	})
}

// ptrTo returns a pointer to a copy of m, as validate expects.
func ptrTo(m clientMessage) any {
	switch m := m.(type) {
	case joinMsg:
		return &m
	case offerMsg:
		return &m
	case answerMsg:
		return &m
	case candidateMsg:
		return &m
	case publishMsg:
		return &m
	case unpublishMsg:
		return &m
	case muteMsg:
		return &m
	case relayMsg:
		return &m
	case leaveMsg:
		return &m
	case admitMsg:
		return &m
	case denyMsg:
		return &m
	case moderateMsg:
		return &m
	case endMeetingMsg:
		return &m
	case lockRoomMsg:
		return &m
	case schoolModeMsg:
		return &m
	}
	return nil
}
