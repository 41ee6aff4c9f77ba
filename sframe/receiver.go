package sframe

import (
	"fmt"
	"sync"
)

// Receiver decrypts frames from any number of senders, choosing the key by the frame's KID.
//
// Replay protection: RFC 9605 section 9.3 leaves anti-replay to the application and makes it
// optional. Conclave's media crosses the SFU, which could re-send old frames, so a Receiver
// keeps a ReplayWindow-counter sliding window per KID and rejects a counter it already
// accepted or one too old to check (ErrReplay). Only authenticated frames move the window.
// A Receiver is safe for concurrent use; give each receiving track its own Receiver only if
// the tracks never carry the same KID twice (one window per KID is shared by all tracks).
type Receiver struct {
	suite Suite
	mu    sync.Mutex
	keys  map[uint64]*rxKey
}

type rxKey struct {
	key *key
	win window
}

// NewReceiver makes a Receiver with no keys for the given cipher suite.
func NewReceiver(suite Suite) *Receiver {
	return &Receiver{suite: suite, keys: make(map[uint64]*rxKey)}
}

// AddKey installs (or replaces) the base key for kid. Replacing a key resets its replay
// window, because the new key's counter starts again at 0.
func (r *Receiver) AddKey(kid uint64, baseKey []byte) error {
	k, err := newKey(r.suite, kid, baseKey)
	if err != nil {
		return fmt.Errorf("add key kid %d: %w", kid, err)
	}
	r.mu.Lock()
	r.keys[kid] = &rxKey{key: k}
	r.mu.Unlock()
	return nil
}

// RemoveKey forgets the key for kid; later frames with that KID get ErrUnknownKID.
func (r *Receiver) RemoveKey(kid uint64) {
	r.mu.Lock()
	delete(r.keys, kid)
	r.mu.Unlock()
}

// HasKey reports whether the Receiver holds a key for kid.
func (r *Receiver) HasKey(kid uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[kid]
	return ok
}

// Decrypt parses the SFrame header of frame, authenticates header ‖ metadata and the
// ciphertext, and appends the plaintext to dst. It returns the frame's KID whenever the
// header parsed, so a caller can tell which sender an unknown or failing frame came from.
// Errors: ErrMalformedHeader, ErrUnknownKID, ErrReplay, ErrAuth (all wrapped).
func (r *Receiver) Decrypt(dst, metadata, frame []byte) ([]byte, uint64, error) {
	h, n, err := ParseHeader(frame)
	if err != nil {
		return nil, 0, fmt.Errorf("decrypt: %w", err)
	}
	r.mu.Lock()
	rk := r.keys[h.KID]
	ok := rk != nil && rk.win.check(h.CTR)
	r.mu.Unlock()
	if rk == nil {
		return nil, h.KID, fmt.Errorf("decrypt kid %d: %w", h.KID, ErrUnknownKID)
	}
	if !ok {
		return nil, h.KID, fmt.Errorf("decrypt kid %d ctr %d: %w", h.KID, h.CTR, ErrReplay)
	}
	pt, err := rk.key.open(dst, h.CTR, frame[:n], metadata, frame[n:])
	if err != nil {
		return nil, h.KID, fmt.Errorf("decrypt kid %d ctr %d: %w", h.KID, h.CTR, err)
	}
	r.mu.Lock()
	ok = rk.win.accept(h.CTR)
	r.mu.Unlock()
	if !ok {
		return nil, h.KID, fmt.Errorf("decrypt kid %d ctr %d: %w", h.KID, h.CTR, ErrReplay)
	}
	return pt, h.KID, nil
}
