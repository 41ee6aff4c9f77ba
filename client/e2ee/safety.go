package e2ee

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// SafetyCode is the room-wide hash people compare over the call: equal codes mean everyone
// holds the same roster (docs/e2ee.md, "Safety code").
type SafetyCode [32]byte

// ComputeSafetyCode hashes the verified entries, oneself included, sorted by pid (byte order;
// pids are ASCII, so JavaScript's default sort agrees):
//
//	SHA-256(label("conclave v1 safety", room) ‖ for each: 0x00 ‖ label(pid, index) ‖ 0x00 ‖ ecdh)
func ComputeSafetyCode(room string, entries []Entry) SafetyCode {
	sorted := slices.SortedFunc(slices.Values(entries), func(a, b Entry) int {
		return strings.Compare(a.PID, b.PID)
	})
	h := sha256.New()
	h.Write(label(tagSafety, room))
	for _, e := range sorted {
		h.Write([]byte{0})
		h.Write(label(e.PID, itoa(e.Index)))
		h.Write([]byte{0})
		h.Write(e.ECDH)
	}
	var c SafetyCode
	h.Sum(c[:0])
	return c
}

// Emoji returns the six indexes (0–63) into the browser's SAFETY_EMOJI list: the first 36
// bits of the code, 6 bits each, most significant first.
func (c SafetyCode) Emoji() [6]int {
	v := binary.BigEndian.Uint64(c[:8]) >> (64 - 36)
	var out [6]int
	for i := range out {
		out[i] = int(v>>(30-6*i)) & 63
	}
	return out
}

// Digits returns the first 8 bytes as a big-endian unsigned integer mod 10^12, as 12
// zero-padded digits (shown in 3 groups of 4).
func (c SafetyCode) Digits() string {
	return fmt.Sprintf("%012d", binary.BigEndian.Uint64(c[:8])%1_000_000_000_000)
}

// String formats the digits as three groups of four: "0123 4567 8901".
func (c SafetyCode) String() string {
	d := c.Digits()
	return d[:4] + " " + d[4:8] + " " + d[8:]
}
