package e2ee

import "errors"

var (
	// ErrBadSecret reports a room secret that is not SecretLen bytes.
	ErrBadSecret = errors.New("e2ee: room secret must be 32 bytes")
	// ErrBadMessage reports a key message that is not valid JSON of protocol v1 or breaks a
	// bound (size, length, range).
	ErrBadMessage = errors.New("e2ee: bad message")
	// ErrUnknownType reports a key message whose "t" this version does not know.
	ErrUnknownType = errors.New("e2ee: unknown message type")
	// ErrVersion reports a key message whose "v" is not 1.
	ErrVersion = errors.New("e2ee: unsupported version")
	// ErrBadMAC reports an announce whose MAC does not verify: another room secret.
	ErrBadMAC = errors.New("e2ee: announce mac does not verify")
	// ErrWrongSender reports a message whose pid or index does not match its sender.
	ErrWrongSender = errors.New("e2ee: message does not match its sender")
	// ErrDuplicateIndex reports an announce whose index another participant holds.
	ErrDuplicateIndex = errors.New("e2ee: sender index already taken")
	// ErrDecrypt reports a key or msg ciphertext that does not authenticate.
	ErrDecrypt = errors.New("e2ee: decryption failed")
	// ErrNoKey reports a frame or message whose sender key is not (yet) known.
	ErrNoKey = errors.New("e2ee: no key")
	// ErrStale reports a key older than one already held (keys never go backwards).
	ErrStale = errors.New("e2ee: stale key")
	// ErrBadKey reports an ECDH public key or base key of the wrong form.
	ErrBadKey = errors.New("e2ee: bad key")
)
