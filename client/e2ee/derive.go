package e2ee

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"strconv"
)

// SecretLen is the length of the room secret S of the meeting link.
const SecretLen = 32

// HKDF labels of docs/e2ee.md. Labels with several fields are built with label().
const (
	infoMAC     = "conclave v1 roster mac"
	infoWrap    = "conclave v1 wrap"
	infoMsg     = "conclave v1 msg"
	tagAnnounce = "conclave v1 announce"
	tagKeyWrap  = "conclave v1 key-wrap"
	tagKey      = "conclave v1 key"
	tagMsg      = "conclave v1 msg"
	tagSafety   = "conclave v1 safety"
)

// label joins fields with one zero byte between them and none at the end.
func label(fields ...string) []byte {
	var out []byte
	for i, f := range fields {
		if i > 0 {
			out = append(out, 0)
		}
		out = append(out, f...)
	}
	return out
}

// itoa is str(x) of an integer: decimal ASCII.
func itoa[T ~int | ~uint8 | ~uint32](v T) string { return strconv.FormatInt(int64(v), 10) }

// hkdfKey is HKDF-SHA256 with an empty salt.
func hkdfKey(ikm []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, ikm, nil, info, n)
	if err != nil {
		// Only a length above 255*32 bytes fails; every call here asks for 16 or 32.
		panic(fmt.Sprintf("e2ee: hkdf of %d bytes: %v", n, err))
	}
	return k
}

// RoomKeys holds the keys derived from one room secret for one room. It is immutable and
// safe for concurrent use.
type RoomKeys struct {
	room    string
	macKey  []byte // HMAC-SHA256 key of announce MACs
	wrapKey []byte // mixed into every pairwise wrap key
}

// NewRoomKeys derives macKey and wrapKey from the 32-byte room secret. room is the
// lower-case room name of /r/ROOM.
func NewRoomKeys(secret []byte, room string) (*RoomKeys, error) {
	if len(secret) != SecretLen {
		return nil, fmt.Errorf("room secret of %d bytes: %w", len(secret), ErrBadSecret)
	}
	return &RoomKeys{room: room, macKey: hkdfKey(secret, infoMAC, 32),
		wrapKey: hkdfKey(secret, infoWrap, 32)}, nil
}

// Room is the room name the keys are bound to.
func (k *RoomKeys) Room() string { return k.room }

// pairKey is the AES-128 key that wraps sender keys from fromPID to toPID.
func (k *RoomKeys) pairKey(shared []byte, fromPID, toPID string) []byte {
	ikm := make([]byte, 0, len(shared)+len(k.wrapKey))
	ikm = append(append(ikm, shared...), k.wrapKey...)
	return hkdfKey(ikm, string(label(tagKeyWrap, k.room, fromPID, toPID)), 16)
}

// msgKey is the AES-128 key of msg messages sent under baseKey.
func msgKey(baseKey []byte) []byte { return hkdfKey(baseKey, infoMsg, 16) }
