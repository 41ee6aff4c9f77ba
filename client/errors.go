package client

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by methods called after Close or Leave.
	ErrClosed = errors.New("client: closed")
	// ErrBadConfig wraps every problem Config.Validate finds.
	ErrBadConfig = errors.New("client: bad config")
	// ErrBadClip means an embedded media clip is not what the sources can loop.
	ErrBadClip = errors.New("client: bad media clip")
	// ErrProtocol means the server sent something protocol v1 does not allow.
	ErrProtocol = errors.New("client: protocol violation")
	// ErrNotConnected is returned by Relay while the signaling socket is down (see Resume).
	ErrNotConnected = errors.New("client: signaling socket not connected")
	// ErrNoSenderIndex means E2EE is on but the server's `welcome` carries no sender index
	// (1–255), which every encrypted frame's KID needs.
	ErrNoSenderIndex = errors.New("client: no sender index from the server")
	// ErrNoE2EE is returned by SendChat on a client without a room secret: chat is only ever
	// sent end-to-end encrypted.
	ErrNoE2EE = errors.New("client: end-to-end encryption is off")
	// ErrUnsupported is returned for an optional protocol message (`video-size`) the server
	// did not list in welcome.features.
	ErrUnsupported = errors.New("client: the server does not support this")
	// ErrBadVideoSize is returned by SetVideoSize for a negative side.
	ErrBadVideoSize = errors.New("client: bad video size")
)

// ServerError is an `error` message from the server (docs/protocol.md, "Leave and errors").
// Join returns one, wrapped, when the server refuses the join.
type ServerError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal"`
}

// Error implements error.
func (e *ServerError) Error() string {
	return fmt.Sprintf("client: server error %s: %s", e.Code, e.Message)
}
