package sframe

import (
	"fmt"
	"math"
	"sync"
)

// Sender encrypts the frames of one participant under one base key. Its counter starts at 0
// and goes up by one per frame, so (base key, KID, CTR) never repeats; make a new Sender for
// each new base key (new generation or ratchet step). A Sender is safe for concurrent use:
// Conclave shares one counter across all of a participant's tracks.
type Sender struct {
	mu        sync.Mutex
	key       *key
	ctr       uint64
	exhausted bool
}

// NewSender derives the sframe key and salt for kid from baseKey (RFC 9605 section 4.4.2).
func NewSender(suite Suite, kid uint64, baseKey []byte) (*Sender, error) {
	k, err := newKey(suite, kid, baseKey)
	if err != nil {
		return nil, fmt.Errorf("new sender kid %d: %w", kid, err)
	}
	return &Sender{key: k}, nil
}

// KID is the key identifier written into every frame.
func (s *Sender) KID() uint64 { return s.key.kid }

// Suite is the cipher suite of the Sender.
func (s *Sender) Suite() Suite { return s.key.suite }

// Frames is the number of frames encrypted so far; Conclave rotates the key before 2^24.
func (s *Sender) Frames() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exhausted {
		return math.MaxUint64
	}
	return s.ctr
}

// Overhead is the number of bytes Encrypt adds to the next frame: header plus tag.
func (s *Sender) Overhead() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Header{KID: s.key.kid, CTR: s.ctr}.Len() + s.key.aead.Overhead()
}

// Encrypt appends header ‖ ciphertext ‖ tag for plaintext to dst and returns the result,
// authenticating metadata (not included in the output) along with the header. dst and
// plaintext must not overlap. After 2^64 frames it returns ErrCounterExhausted.
func (s *Sender) Encrypt(dst, metadata, plaintext []byte) ([]byte, error) {
	s.mu.Lock()
	if s.exhausted {
		s.mu.Unlock()
		return nil, fmt.Errorf("encrypt kid %d: %w", s.key.kid, ErrCounterExhausted)
	}
	ctr := s.ctr
	if ctr == math.MaxUint64 {
		s.exhausted = true
	} else {
		s.ctr++
	}
	s.mu.Unlock()
	return s.key.seal(dst, ctr, metadata, plaintext), nil
}
