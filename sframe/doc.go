// Package sframe implements RFC 9605 Secure Frame (SFrame) end-to-end media encryption in pure
// Go, byte-compatible with Conclave's browser E2EE worker.
//
// A Conclave media frame on the wire is
//
//	P ‖ SFrameHeader(KID, CTR) ‖ AEAD ciphertext ‖ tag
//
// where P is a short clear codec prefix (VP8: 10 bytes on key frames, 1 on delta frames; Opus
// and VP9: none) that is authenticated as the SFrame metadata. The bytes after P are a
// byte-exact RFC 9605 ciphertext, so the crypto core is tested against the RFC test vectors.
//
// Sender encrypts with one base key and a per-key frame counter that never repeats. Receiver
// holds the base keys of the other participants, chosen by the KID in each frame header, and
// rejects replayed counters (see Receiver). KID packs sender index, key generation and
// ratchet step as in Conclave's E2EE design.
package sframe
