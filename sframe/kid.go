package sframe

import "fmt"

// KID is Conclave's layout of the SFrame key identifier (E2EE.md, Keys 5):
//
//	KID = sender_index << 6 | (generation mod 4) << 4 | (step mod 16)
//
// so every KID fits the 2-byte extended form for up to 255 senders. Receivers choose the key
// only from the KID, so media is attributed to the roster entry of SenderIndex.
type KID struct {
	SenderIndex uint8 // 1–255, assigned by the server at join; 0 is never valid
	Generation  uint8 // key generation mod 4 (a new one on every leave)
	Step        uint8 // ratchet step mod 16 (a new one on every join)
}

// MaxKID is the largest KID of the layout.
const MaxKID = 255<<6 | 3<<4 | 15

// Pack returns the KID value, reducing Generation mod 4 and Step mod 16 so callers can pass
// running counters.
func (k KID) Pack() uint64 {
	return uint64(k.SenderIndex)<<6 | uint64(k.Generation&3)<<4 | uint64(k.Step&15)
}

// UnpackKID splits a KID value into its fields. It rejects values above MaxKID and sender
// index 0 with ErrKIDRange.
func UnpackKID(v uint64) (KID, error) {
	if v > MaxKID || v>>6 == 0 {
		return KID{}, fmt.Errorf("unpack kid %d: %w", v, ErrKIDRange)
	}
	return KID{SenderIndex: uint8(v >> 6), Generation: uint8(v>>4) & 3, Step: uint8(v) & 15}, nil
}

// String formats the KID as sender/generation/step.
func (k KID) String() string {
	return fmt.Sprintf("%d/g%d/s%d", k.SenderIndex, k.Generation&3, k.Step&15)
}

// MaxStepsAhead is how many ratchet steps a receiver follows forward on its own (E2EE.md,
// Keys 6: bounded window 8, never backwards).
const MaxStepsAhead = 8

// StepsAfter reports how many ratchet steps k is ahead of prev, for a receiver that sees a
// new KID from a known sender: ok only for the same sender and generation and 1 to
// MaxStepsAhead steps forward (mod 16); anything else is old, foreign or too far ahead.
func (k KID) StepsAfter(prev KID) (n int, ok bool) {
	if k.SenderIndex != prev.SenderIndex || (k.Generation^prev.Generation)&3 != 0 {
		return 0, false
	}
	n = int((k.Step - prev.Step) & 15)
	return n, n >= 1 && n <= MaxStepsAhead
}
