// Package client is a Go meeting client for Conclave: it speaks signaling protocol v1
// (docs/protocol.md) over a WebSocket, holds one pion PeerConnection on which it publishes a
// looping VP8 video clip and an Opus audio clip and subscribes to everyone else, and counts
// what it receives.
//
// With a room secret (Config.Secret) it is end-to-end encrypted as the browser client is
// (docs/e2ee.md, package client/e2ee): it announces itself, verifies the others, sends its
// sender key only to verified participants, encrypts every frame it publishes with SFrame,
// reassembles and decrypts the frames it receives (dropping what does not decrypt, counted
// in TrackStats) and sends and receives encrypted chat.
//
// With Publish.Simulcast, and a server that offers it, the camera goes out as three
// encodings of one track (RIDs q, h and f: 160x90, 320x180 and 640x360 clips with aligned key
// frames), each paused and resumed as the server's `layers` messages say (ActiveLayers).
// A subscriber reports its tile sizes with SetVideoSize (from Config.OnTrackAnnounced, as a
// browser does from ontrack) and sees the encoding it gets in TrackStats.Width and Height.
//
// It is the bot that integration tests and `conclave loadtest` use. It imports nothing of the
// server side: it knows the server only through the protocol document, as a browser does.
//
// Lifecycle: Join returns after the server's `welcome`; the client then negotiates by itself
// as the polite peer of perfect negotiation. Close stops every goroutine it started. A Client
// is safe for concurrent use.
package client
