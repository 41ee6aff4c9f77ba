package sfu

import (
	"errors"
	"fmt"
)

// Sentinel errors. Each one maps to one error code of docs/protocol.md
// (see errorCode in protocol.go).
var (
	// ErrRoomFull means the room already has Config.MaxParticipants.
	ErrRoomFull = errors.New("sfu: room is full")
	// ErrTooManyTracks means a participant tried to publish more than
	// Config.MaxTracksPerParticipant tracks.
	ErrTooManyTracks = errors.New("sfu: too many tracks")
	// ErrRateLimited means joins per IP or messages per socket exceeded
	// their rate.
	ErrRateLimited = errors.New("sfu: rate limited")
	// ErrNotAuthorized is what an Authorizer returns (possibly wrapped) to
	// refuse a join.
	ErrNotAuthorized = errors.New("sfu: not authorized")
	// ErrBadMessage means a signalling message is not valid JSON or has a
	// field of the wrong type or value.
	ErrBadMessage = errors.New("sfu: bad message")
	// ErrUnknownType means a signalling message has a type this server does
	// not know.
	ErrUnknownType = errors.New("sfu: unknown message type")
	// ErrUnsupportedVersion means a join asked for a protocol version other
	// than 1.
	ErrUnsupportedVersion = errors.New("sfu: unsupported protocol version")
	// ErrBadRoom means a room name does not follow the rules.
	ErrBadRoom = errors.New("sfu: bad room name")
	// ErrBadName means a display name does not follow the rules.
	ErrBadName = errors.New("sfu: bad display name")
	// ErrBadSDP means an offer or answer could not be applied.
	ErrBadSDP = errors.New("sfu: bad sdp")
	// ErrResumeFailed means a resume token is unknown, expired or for
	// another room.
	ErrResumeFailed = errors.New("sfu: resume failed")
	// ErrClosed means the SFU is shutting down.
	ErrClosed = errors.New("sfu: closed")
	// ErrUnsupportedCodec means a subscriber did not negotiate the codec of
	// the track it was offered.
	ErrUnsupportedCodec = errors.New("sfu: codec not negotiated by subscriber")
	// ErrInvalidConfig wraps every problem Config.Validate finds.
	ErrInvalidConfig = errors.New("sfu: invalid config")
)

// publicMessage is the text sent with an error code: short and safe. The
// details stay in the server log.
func publicMessage(err error) string {
	switch code := errorCode(err); code {
	case "room-full":
		return "the room is full"
	case "too-many-tracks":
		return "too many published tracks"
	case "rate-limited":
		return "too many requests, slow down"
	case "internal":
		return "internal server error"
	default:
		var we wireError
		if errors.As(err, &we) {
			return we.msg
		}
		return code
	}
}

// wireError is an error whose message may be shown to the client.
type wireError struct {
	err error
	msg string
}

// Error implements error.
func (e wireError) Error() string { return fmt.Sprintf("%v: %s", e.err, e.msg) }

// Unwrap returns the sentinel, for errors.Is.
func (e wireError) Unwrap() error { return e.err }

// clientErr wraps a sentinel with a message safe to send to the client.
func clientErr(sentinel error, msg string) error { return wireError{err: sentinel, msg: msg} }
