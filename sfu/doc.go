// Package sfu is Conclave's selective forwarding unit: rooms, WebSocket
// signalling (docs/protocol.md) and the media path that forwards RTP from
// each publisher to every subscriber without decoding it.
//
// Vocabulary, seen from the server: a Room is one meeting; a Participant is
// one signalling session in it; an UpTrack is media a participant publishes
// to us; a DownTrack is one subscriber's copy of an UpTrack.
//
// The payload is opaque. Media is end-to-end encrypted by the clients, so the
// forwarding path reads and rewrites only RTP headers (SSRC, sequence number,
// timestamp, payload type, header extension IDs) and RTCP. Of the payload it
// reads only what E2EE leaves in clear to find key frames: the VP8 and VP9
// payload descriptors and VP8's first frame byte (keydetect.go). Payload
// bytes are forwarded byte for byte and no frame is ever synthesised.
//
// Concurrency. Each participant has one goroutine that owns its state
// machine and its PeerConnection; each socket has one writer goroutine; each
// up-track has one reader goroutine that fans packets out to a copy-on-write
// slice of down-tracks; each down-track has one RTCP reader goroutine; each
// join waiting in a lobby has one waiter goroutine (lobby.go); each room
// with a microphone has one speaker loop (speaker.go). All of them are
// owned by the SFU and stopped by Close.
//
// Policy is not decided here: an Authorizer (auth.go) grants each join its
// role, lobby, room size and school mode, and the admin dashboard moderates
// through EndRoom, RemoveParticipant, MuteParticipant, Admit and Deny
// (moderate.go), LockRoom, SetSchoolMode, PromoteParticipant, AllowUnmute
// and AllowScreen (school.go).
package sfu
