package sfu

import (
	"encoding/json"
	"time"

	"github.com/pion/webrtc/v4"
)

// Server-to-client messages of docs/protocol.md.

// ParticipantInfo describes a participant as the room and the admin panel
// see it. It is also the "participant" object of docs/protocol.md.
type ParticipantInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Index is the participant's E2EE sender index, 1-255, unique among
	// the room's current participants and kept across a resume.
	Index int `json:"index"`
	// Role is "moderator" or "participant".
	Role string `json:"role"`
	// CanUnmute and CanShare say whether the participant may unmute its
	// microphone and share its screen: always true for moderators and
	// outside school mode; in school mode only once a moderator allowed it.
	CanUnmute bool        `json:"canUnmute"`
	CanShare  bool        `json:"canShare"`
	Tracks    []TrackInfo `json:"tracks"`
}

// Participant roles.
const (
	RoleModerator   = "moderator"
	RoleParticipant = "participant"
)

// RoomInfo is a snapshot of one room (SFU.Rooms), for the admin panel.
type RoomInfo struct {
	Name string `json:"name"`
	// Locked and SchoolMode are the room's state (RoomState).
	RoomState
	Participants []ParticipantStatus `json:"participants"`
	// Lobby lists the joins waiting for a moderator, oldest first.
	Lobby []LobbyInfo `json:"lobby"`
}

// ParticipantStatus is a participant as the live dashboard sees it: its
// participant object and how it is connected. Never sent to clients.
type ParticipantStatus struct {
	ParticipantInfo
	// JoinedAt is when the participant joined (a resume keeps it).
	JoinedAt time.Time `json:"joinedAt"`
	// Relayed reports that ICE selected a pair with a TURN relay
	// candidate (best effort: a relayed pair the server learned as peer
	// reflexive before the client's candidate arrived counts as direct).
	Relayed bool `json:"relayed"`
	// BitrateIn and BitrateOut are the RTP payload bits per second the
	// participant sent us and we sent it (without RTP headers, SRTP and
	// transport overhead), averaged over at least a second.
	BitrateIn  int64 `json:"bitrateIn"`
	BitrateOut int64 `json:"bitrateOut"`
}

// LobbyInfo is a join waiting in a room's lobby.
type LobbyInfo struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
}

type limitsJSON struct {
	MaxParticipants int   `json:"maxParticipants"`
	MaxTracks       int   `json:"maxTracks"`
	MaxMessageBytes int64 `json:"maxMessageBytes"`
}

type welcomeOut struct {
	Type          string             `json:"type"`
	V             int                `json:"v"`
	ParticipantID string             `json:"participantId"`
	Index         int                `json:"index"`
	ResumeToken   string             `json:"resumeToken"`
	Resumed       bool               `json:"resumed"`
	ICEServers    []webrtc.ICEServer `json:"iceServers"`
	Participants  []ParticipantInfo  `json:"participants"`
	Limits        limitsJSON         `json:"limits"`
	Room          RoomState          `json:"room"`
	Self          ParticipantInfo    `json:"self"` // the joiner's own participant object
	// Features names the optional messages this server understands.
	Features []string `json:"features"`
}

// RoomState is the state of a room that moderators change at run time:
// the "room" object of docs/protocol.md.
type RoomState struct {
	// Locked sends every new non-moderator join to the lobby.
	Locked bool `json:"locked"`
	// SchoolMode holds non-moderators' microphones and screen shares
	// until a moderator allows them.
	SchoolMode bool `json:"schoolMode"`
}

// roomUpdatedOut tells every member that the room's state changed.
type roomUpdatedOut struct {
	Type string    `json:"type"` // room-updated
	Room RoomState `json:"room"`
}

// offerTrack says whose track a server-sent transceiver carries.
type offerTrack struct {
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
	Kind          string `json:"kind"`
	Source        string `json:"source"`
}

type sdpOut struct {
	Type   string                `json:"type"`
	SDP    string                `json:"sdp"`
	Tracks map[string]offerTrack `json:"tracks,omitempty"`
}

type candidateOut struct {
	Type      string                   `json:"type"`
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type participantOut struct {
	Type        string          `json:"type"` // participant-joined or participant-updated
	Participant ParticipantInfo `json:"participant"`
}

type participantLeftOut struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	Reason        string `json:"reason"`
}

type trackPublishedOut struct {
	Type          string    `json:"type"`
	ParticipantID string    `json:"participantId"`
	Track         TrackInfo `json:"track"`
}

type trackUnpublishedOut struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
}

type muteOut struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
	Muted         bool   `json:"muted"`
}

type relayOut struct {
	Type string          `json:"type"`
	From string          `json:"from"`
	Data json.RawMessage `json:"data"`
}

// typeOut is a message with nothing but its type (lobby,
// muted-by-moderator, unmute-allowed, screen-allowed).
type typeOut struct {
	Type string `json:"type"`
}

// knockOut tells moderators about a join waiting in the lobby.
type knockOut struct {
	Type        string    `json:"type"`
	Participant knockInfo `json:"participant"`
}

type knockInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// knockEndedOut tells moderators that a lobby join was decided or left.
type knockEndedOut struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
}

// speakersOut lists who is speaking, most recent first, and the dominant
// speaker (speaker.go).
type speakersOut struct {
	Type     string   `json:"type"` // speakers
	Active   []string `json:"active"`
	Dominant string   `json:"dominant,omitempty"`
}

type errorOut struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal"`
}

// encode marshals a server message. Our message types always marshal (the
// only foreign bytes, relay data, were parsed as JSON on the way in), so an
// error here is a programming error: it is reported as an internal error
// message rather than a panic.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(errorOut{Type: "error", Code: "internal", Message: "internal error"})
	}
	return b
}
