// Package e2ee implements Conclave's end-to-end encryption key protocol, version 1
// (docs/e2ee.md), for the Go bots: the keys derived from the room secret, the roster of
// verified participants (announce messages MAC-ed with the room secret), the pairwise
// wrapping of sender keys (ECDH P-256 mixed with the room secret), acks, encrypted messages
// (chat, reactions, hands), the safety code, the policy that decides when a participant's
// sender key ratchets or gets a new generation, and the table of other participants' keys
// that decrypts their media frames with package sframe.
//
// The package does no I/O and reads no clock: every function that depends on time takes the
// current time as an argument, and randomness comes from an io.Reader the caller passes, so
// tests are deterministic. testdata/e2ee/vectors.json (written by TestWriteVectors -update)
// pins every derivation for the browser implementation.
package e2ee
