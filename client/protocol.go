package client

import (
	"encoding/json"

	"github.com/pion/webrtc/v4"
)

// Message types and fields of signaling protocol v1, as docs/protocol.md defines them. The
// client keeps its own copy of the types: it must not import the server package.

const protocolVersion = 1

const (
	kindVideo = "video"
	kindAudio = "audio"
)

// TrackInfo describes a published track as the server announces it.
type TrackInfo struct {
	TrackID string `json:"trackId"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Muted   bool   `json:"muted"`
}

// Participant is another member of the room, as `welcome` and room events describe it.
type Participant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Index is the participant's E2EE sender index, 1–255 (0 from a server without it).
	Index  int         `json:"index"`
	Tracks []TrackInfo `json:"tracks"`
}

// RemoteTrack is a track the server sends to this client, mapped through the `tracks` field
// of the server's offer (by mid).
type RemoteTrack struct {
	ParticipantID string `json:"participantId"`
	TrackID       string `json:"trackId"`
	Kind          string `json:"kind"`
	Source        string `json:"source"`
	Mid           string `json:"-"`
}

// envelope reads only the type of an incoming message.
type envelope struct {
	Type string `json:"type"`
}

type joinMsg struct {
	Type   string `json:"type"`
	V      int    `json:"v"`
	Room   string `json:"room"`
	Name   string `json:"name"`
	Resume string `json:"resume,omitempty"`
	Token  string `json:"token,omitempty"`
	// Password is the room password, for rooms that need one.
	Password string `json:"password,omitempty"`
}

type welcomeMsg struct {
	ParticipantID string             `json:"participantId"`
	ResumeToken   string             `json:"resumeToken"`
	Resumed       bool               `json:"resumed"`
	Index         int                `json:"index"` // own E2EE sender index, 1–255
	ICEServers    []webrtc.ICEServer `json:"iceServers"`
	Participants  []Participant      `json:"participants"`
	Limits        map[string]int     `json:"limits"`
	// Features names the optional messages the server understands ("video-size",
	// "simulcast"); absent from servers older than them.
	Features []string `json:"features"`
}

// Optional protocol features a server lists in welcome.features.
const (
	featureVideoSize = "video-size"
	featureSimulcast = "simulcast"
)

// layersMsg is the server's `layers`: the encodings of a simulcast track someone receives.
type layersMsg struct {
	TrackID string   `json:"trackId"`
	Active  []string `json:"active"`
}

// videoSizeMsg is the client's `video-size`: the tile size of one received video.
type videoSizeMsg struct {
	Type    string `json:"type"`
	TrackID string `json:"trackId"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
}

type sdpMsg struct {
	Type   string                 `json:"type"`
	SDP    string                 `json:"sdp"`
	Tracks map[string]RemoteTrack `json:"tracks,omitempty"`
}

type candidateMsg struct {
	Type      string                   `json:"type"`
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type publishMsg struct {
	Type    string `json:"type"`
	TrackID string `json:"trackId"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Muted   bool   `json:"muted"`
}

type relayMsg struct {
	Type string          `json:"type"`
	To   string          `json:"to,omitempty"`
	From string          `json:"from,omitempty"`
	Data json.RawMessage `json:"data"`
}

// relayEachMsg is a relay with one datum per recipient.
type relayEachMsg struct {
	Type string                     `json:"type"`
	Each map[string]json.RawMessage `json:"each"`
}

type typeOnlyMsg struct {
	Type string `json:"type"`
}

// roomEventMsg holds the fields of every room event (participant-joined/left/updated,
// track-published/unpublished, mute); each type uses some of them.
type roomEventMsg struct {
	Participant   *Participant `json:"participant"`
	ParticipantID string       `json:"participantId"`
	Reason        string       `json:"reason"`
	Track         *TrackInfo   `json:"track"`
	TrackID       string       `json:"trackId"`
	Muted         bool         `json:"muted"`
}
