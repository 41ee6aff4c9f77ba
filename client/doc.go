// Package client is a Go meeting client for Conclave: it speaks signaling protocol v1
// (docs/protocol.md) over a WebSocket, holds one pion PeerConnection on which it publishes a
// looping VP8 video clip and an Opus audio clip and subscribes to everyone else, and counts
// what it receives.
//
// It is the bot that integration tests and `conclave loadtest` use. It imports nothing of the
// server side: it knows the server only through the protocol document, as a browser does.
//
// Lifecycle: Join returns after the server's `welcome`; the client then negotiates by itself
// as the polite peer of perfect negotiation. Close stops every goroutine it started. A Client
// is safe for concurrent use.
package client
