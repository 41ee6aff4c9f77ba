package sframe

import "errors"

var (
	// ErrMalformedHeader reports an SFrame header that is truncated or otherwise unparsable.
	ErrMalformedHeader = errors.New("sframe: malformed header")
	// ErrUnknownKID reports a frame whose KID has no key in the Receiver.
	ErrUnknownKID = errors.New("sframe: unknown kid")
	// ErrAuth reports a frame that failed authentication (wrong key, or tampered bytes).
	ErrAuth = errors.New("sframe: authentication failed")
	// ErrReplay reports a frame whose counter was already accepted, or is too old to check.
	ErrReplay = errors.New("sframe: replayed or too old counter")
	// ErrCounterExhausted reports a Sender that has used every counter value of its key.
	ErrCounterExhausted = errors.New("sframe: counter exhausted, rotate the key")
	// ErrUnsupportedSuite reports a cipher suite this package does not implement.
	ErrUnsupportedSuite = errors.New("sframe: unsupported cipher suite")
	// ErrShortKey reports a base key shorter than MinBaseKeyLen.
	ErrShortKey = errors.New("sframe: base key too short")
	// ErrUnsupportedCodec reports a codec without a clear-prefix rule in this package.
	ErrUnsupportedCodec = errors.New("sframe: unsupported codec")
	// ErrShortFrame reports a media frame too short for its codec's clear prefix.
	ErrShortFrame = errors.New("sframe: frame too short")
	// ErrKIDRange reports a KID or KID field outside Conclave's KID layout.
	ErrKIDRange = errors.New("sframe: kid out of range")
)
