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
	// ErrPasswordRequired is what an Authorizer returns when the room has
	// a password and the join sent none.
	ErrPasswordRequired = errors.New("sfu: room password required")
	// ErrWrongPassword is what an Authorizer returns for a wrong password.
	ErrWrongPassword = errors.New("sfu: wrong room password")
	// ErrMembersOnly is what an Authorizer returns when only signed-in
	// members may enter the room.
	ErrMembersOnly = errors.New("sfu: members only")
	// ErrLobbyDenied means a moderator refused a join waiting in the lobby.
	ErrLobbyDenied = errors.New("sfu: denied entry from the lobby")
	// ErrLobbyTimeout means a join waited Config.LobbyTimeout in the lobby.
	ErrLobbyTimeout = errors.New("sfu: lobby wait timed out")
	// ErrRemoved means a moderator removed the participant.
	ErrRemoved = errors.New("sfu: removed by a moderator")
	// ErrRoomEnded means the meeting was ended for everyone.
	ErrRoomEnded = errors.New("sfu: meeting ended")
	// ErrNotAllowed means a participant asked for something its role or
	// state does not allow (moderation without being a moderator, media
	// while in the lobby).
	ErrNotAllowed = errors.New("sfu: not allowed")
	// ErrRoomNotFound means no room of that name is open.
	ErrRoomNotFound = errors.New("sfu: no such room")
	// ErrParticipantNotFound means the room has no participant (or lobby
	// join) with that ID.
	ErrParticipantNotFound = errors.New("sfu: no such participant")
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
	case "password-required":
		return "this room needs a password"
	case "wrong-password":
		return "wrong password"
	case "members-only":
		return "sign in to join this room"
	case "lobby-denied":
		return "a moderator did not let you in"
	case "lobby-timeout":
		return "nobody let you in"
	case "removed":
		return "a moderator removed you from the meeting"
	case "ended":
		return "the meeting has ended"
	case "not-allowed":
		return "not allowed"
	case "unknown-participant":
		return "no such participant"
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

// errorCode maps an error to its protocol code (docs/protocol.md).
func errorCode(err error) string {
	codes := []struct {
		err  error
		code string
	}{
		{ErrUnknownType, "unknown-type"}, {ErrUnsupportedVersion, "unsupported-version"},
		{ErrBadRoom, "bad-room"}, {ErrBadName, "bad-name"}, {ErrBadMessage, "bad-message"},
		{ErrRoomFull, "room-full"}, {ErrTooManyTracks, "too-many-tracks"},
		{ErrRateLimited, "rate-limited"}, {ErrNotAuthorized, "not-authorized"},
		{ErrPasswordRequired, "password-required"}, {ErrWrongPassword, "wrong-password"},
		{ErrMembersOnly, "members-only"}, {ErrLobbyDenied, "lobby-denied"}, {ErrLobbyTimeout, "lobby-timeout"},
		{ErrRemoved, "removed"}, {ErrRoomEnded, "ended"}, {ErrNotAllowed, "not-allowed"},
		{ErrParticipantNotFound, "unknown-participant"},
		{ErrBadSDP, "bad-sdp"}, {ErrResumeFailed, "resume-failed"},
		{errNotJoined, "not-joined"}, {errAlreadyJoined, "already-joined"},
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
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
