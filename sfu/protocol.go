package sfu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"
)

// Signalling protocol v1, documented in docs/protocol.md. Client messages
// are decoded into one struct per type and validated here, before any
// handler sees them; server messages are plain structs marshalled as is.

// protocolVersion is the only version this server speaks.
const protocolVersion = 1

// Limits of protocol fields.
const (
	maxRoomLen     = 64
	maxNameLen     = 64 // characters, after trimming
	maxTrackIDLen  = 128
	maxIDLen       = 64
	maxSDPLen      = 60000
	maxCandLen     = 1024
	maxPasswordLen = 256 // bytes
)

// clientMessage is any decoded, validated message from a client.
type clientMessage interface{ messageType() string }

type joinMsg struct {
	V        int    `json:"v"`
	Room     string `json:"room"`
	Name     string `json:"name"`
	Resume   string `json:"resume,omitempty"`
	Token    string `json:"token,omitempty"`
	Password string `json:"password,omitempty"`
}

type sdpMsg struct {
	SDP string `json:"sdp"`
}

type offerMsg struct{ sdpMsg }
type answerMsg struct{ sdpMsg }

type candidateMsg struct {
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type publishMsg struct {
	TrackID string `json:"trackId"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Muted   bool   `json:"muted"`
}

type unpublishMsg struct {
	TrackID string `json:"trackId"`
}

type muteMsg struct {
	TrackID string `json:"trackId"`
	Muted   bool   `json:"muted"`
}

type relayMsg struct {
	To   string          `json:"to,omitempty"`
	Data json.RawMessage `json:"data"`
	// Each carries one datum per recipient in one message (instead of To and
	// Data): E2EE key messages to the whole room, which would otherwise cost a
	// participant one message per member and run into the rate limit.
	Each map[string]json.RawMessage `json:"each,omitempty"`
}

type leaveMsg struct{}

func (joinMsg) messageType() string      { return "join" }
func (offerMsg) messageType() string     { return "offer" }
func (answerMsg) messageType() string    { return "answer" }
func (candidateMsg) messageType() string { return "candidate" }
func (publishMsg) messageType() string   { return "publish" }
func (unpublishMsg) messageType() string { return "unpublish" }
func (muteMsg) messageType() string      { return "mute" }
func (relayMsg) messageType() string     { return "relay" }
func (leaveMsg) messageType() string     { return "leave" }

// decodeClientMessage parses and validates one client message. Errors wrap
// ErrBadMessage, ErrUnknownType, ErrUnsupportedVersion, ErrBadRoom or
// ErrBadName, so that the caller can answer with the right code.
func decodeClientMessage(data []byte) (clientMessage, error) {
	var env struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	if env.Type == nil {
		return nil, fmt.Errorf("%w: no type", ErrBadMessage)
	}
	m, err := newClientMessage(*env.Type)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadMessage, *env.Type, err)
	}
	msg, err := validate(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *env.Type, err)
	}
	return msg, nil
}

// newClientMessage returns a pointer to the struct for type t.
func newClientMessage(t string) (any, error) {
	switch t {
	case "join":
		return &joinMsg{}, nil
	case "offer":
		return &offerMsg{}, nil
	case "answer":
		return &answerMsg{}, nil
	case "candidate":
		return &candidateMsg{}, nil
	case "publish":
		return &publishMsg{}, nil
	case "unpublish":
		return &unpublishMsg{}, nil
	case "mute":
		return &muteMsg{}, nil
	case "relay":
		return &relayMsg{}, nil
	case "leave":
		return &leaveMsg{}, nil
	case "video-size":
		return &videoSizeMsg{}, nil
	}
	if m := newModerationMessage(t); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("%w: %.32q", ErrUnknownType, t)
}

// validate checks the fields of a decoded message and returns it by value.
func validate(m any) (clientMessage, error) {
	switch m := m.(type) {
	case *joinMsg:
		return *m, m.validate()
	case *offerMsg:
		return *m, m.validate()
	case *answerMsg:
		return *m, m.validate()
	case *candidateMsg:
		return *m, m.validate()
	case *publishMsg:
		return *m, m.validate()
	case *unpublishMsg:
		return *m, validTrackID(m.TrackID)
	case *muteMsg:
		return *m, validTrackID(m.TrackID)
	case *relayMsg:
		return *m, m.validate()
	case *leaveMsg:
		return *m, nil
	case *videoSizeMsg:
		return *m, m.validate()
	}
	if msg, ok, err := validateModeration(m); ok {
		return msg, err
	}
	return nil, fmt.Errorf("%w: unhandled message %T", ErrBadMessage, m)
}

func (m *joinMsg) validate() error {
	if m.V != protocolVersion {
		return fmt.Errorf("%w: %d", ErrUnsupportedVersion, m.V)
	}
	if !validRoom(m.Room) {
		return ErrBadRoom
	}
	name, ok := cleanName(m.Name)
	if !ok {
		return ErrBadName
	}
	m.Name = name
	if len(m.Resume) > 256 || len(m.Token) > 4096 || len(m.Password) > maxPasswordLen {
		return fmt.Errorf("%w: resume, token or password too long", ErrBadMessage)
	}
	return nil
}

func (m *sdpMsg) validate() error {
	if m.SDP == "" || len(m.SDP) > maxSDPLen {
		return fmt.Errorf("%w: sdp empty or too long", ErrBadMessage)
	}
	return nil
}

func (m *candidateMsg) validate() error {
	if m.Candidate != nil && len(m.Candidate.Candidate) > maxCandLen {
		return fmt.Errorf("%w: candidate too long", ErrBadMessage)
	}
	return nil
}

func (m *publishMsg) validate() error {
	if err := validTrackID(m.TrackID); err != nil {
		return err
	}
	if kind := sourceKind(m.Source); kind == "" || kind != m.Kind {
		return fmt.Errorf("%w: kind %.16q does not go with source %.16q", ErrBadMessage, m.Kind, m.Source)
	}
	return nil
}

func (m *relayMsg) validate() error {
	if m.Each != nil {
		if m.To != "" || len(m.Data) != 0 || len(m.Each) == 0 || len(m.Each) > MaxSenderIndex {
			return fmt.Errorf("%w: relay with each takes 1 to %d recipients and neither to nor data", ErrBadMessage, MaxSenderIndex)
		}
		for to, d := range m.Each {
			if !validID(to) || !present(d) {
				return fmt.Errorf("%w: bad relay recipient or data", ErrBadMessage)
			}
		}
		return nil
	}
	if m.To != "" && !validID(m.To) {
		return fmt.Errorf("%w: bad recipient", ErrBadMessage)
	}
	if !present(m.Data) {
		return fmt.Errorf("%w: relay without data", ErrBadMessage)
	}
	return nil
}

// present reports whether relay data is there: not empty, not null.
func present(d json.RawMessage) bool {
	d = bytes.TrimSpace(d)
	return len(d) != 0 && !bytes.Equal(d, []byte("null"))
}

// sourceKind is the media kind of a track source, "" for an unknown source.
func sourceKind(source string) string {
	switch source {
	case "microphone", "screen-audio":
		return "audio"
	case "camera", "screen":
		return "video"
	}
	return ""
}

// validRoom: 1-64 of a-z 0-9 - _.
func validRoom(room string) bool {
	if room == "" || len(room) > maxRoomLen {
		return false
	}
	for _, c := range []byte(room) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// cleanName trims a display name and checks it: 1-64 characters of valid
// UTF-8 without control characters.
func cleanName(name string) (string, bool) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxNameLen || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", false
	}
	return name, true
}

func validTrackID(id string) error {
	if id == "" || len(id) > maxTrackIDLen || !utf8.ValidString(id) || strings.IndexFunc(id, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: bad track id", ErrBadMessage)
	}
	return nil
}

// validID accepts participant IDs as we issue them (see newParticipantID).
func validID(id string) bool {
	if !strings.HasPrefix(id, "p_") || len(id) > maxIDLen {
		return false
	}
	return strings.IndexFunc(id[2:], func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) < 0 && len(id) > 2
}
