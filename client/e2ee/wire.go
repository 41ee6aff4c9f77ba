package e2ee

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Bounds of the key messages. A relay message is at most 64 KiB (docs/protocol.md); a msg
// carries at most 4000 characters of chat text, well under MaxMsgCiphertext even escaped.
const (
	// MaxMessageBytes is the largest key message DecodeMessage reads.
	MaxMessageBytes = 60 << 10
	// MaxMsgCiphertext is the largest ct of a msg, in bytes.
	MaxMsgCiphertext = 40 << 10
	// MaxPIDLen is the longest participant ID accepted.
	MaxPIDLen = 64
	// PointLen is the length of an uncompressed P-256 point, 04 ‖ X ‖ Y.
	PointLen = 65
	// MACLen is the length of an announce MAC (HMAC-SHA256).
	MACLen = 32
	// NonceLen is the AES-GCM nonce length of key and msg messages.
	NonceLen = 12
	// tagLen is the AES-GCM tag length.
	tagLen = 16
)

// Message is one decoded key message: Announce, Key, Ack or Msg.
type Message interface {
	// Type is the message's "t".
	Type() string
}

// Announce is a participant's roster entry: its ECDH public key, MAC-ed with the room secret.
type Announce struct {
	PID   string
	Index uint8
	ECDH  []byte // 65-byte uncompressed P-256 point
	MAC   []byte // 32 bytes
}

// Key carries one sender key (gen, step), wrapped for one recipient.
type Key struct {
	Index     uint8
	Gen, Step uint32
	Nonce     []byte // 12 bytes
	CT        []byte // len(baseKey)+16 bytes
}

// Ack confirms a Key to its sender.
type Ack struct {
	Gen, Step uint32
}

// Msg is an encrypted chat message, reaction or hand-raise.
type Msg struct {
	Index     uint8
	Gen, Step uint32
	Nonce     []byte
	CT        []byte
}

// Type implements Message.
func (Announce) Type() string { return "announce" }

// Type implements Message.
func (Key) Type() string { return "key" }

// Type implements Message.
func (Ack) Type() string { return "ack" }

// Type implements Message.
func (Msg) Type() string { return "msg" }

// b64 is binary data that JSON carries as unpadded base64url (canonical: no padding, zero
// trailing bits).
type b64 []byte

func (b b64) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawURLEncoding.EncodeToString(b))
}

func (b *b64) UnmarshalJSON(d []byte) error {
	var s string
	if err := json.Unmarshal(d, &s); err != nil {
		return err
	}
	v, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("base64url: %w", err)
	}
	*b = v
	return nil
}

// wire is the JSON form of every key message; pointers tell a missing field from a zero.
type wire struct {
	T     *string `json:"t"`
	V     *int    `json:"v"`
	PID   *string `json:"pid,omitempty"`
	Index *int    `json:"index,omitempty"`
	ECDH  *b64    `json:"ecdh,omitempty"`
	MAC   *b64    `json:"mac,omitempty"`
	Gen   *uint32 `json:"gen,omitempty"`
	Step  *uint32 `json:"step,omitempty"`
	Nonce *b64    `json:"nonce,omitempty"`
	CT    *b64    `json:"ct,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// MarshalJSON implements json.Marshaler with the field order of docs/e2ee.md.
func (a Announce) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{T: ptr("announce"), V: ptr(1), PID: &a.PID, Index: ptr(int(a.Index)),
		ECDH: ptr(b64(a.ECDH)), MAC: ptr(b64(a.MAC))})
}

// MarshalJSON implements json.Marshaler.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{T: ptr("key"), V: ptr(1), Index: ptr(int(k.Index)), Gen: &k.Gen,
		Step: &k.Step, Nonce: ptr(b64(k.Nonce)), CT: ptr(b64(k.CT))})
}

// MarshalJSON implements json.Marshaler.
func (a Ack) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{T: ptr("ack"), V: ptr(1), Gen: &a.Gen, Step: &a.Step})
}

// MarshalJSON implements json.Marshaler.
func (m Msg) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{T: ptr("msg"), V: ptr(1), Index: ptr(int(m.Index)), Gen: &m.Gen,
		Step: &m.Step, Nonce: ptr(b64(m.Nonce)), CT: ptr(b64(m.CT))})
}

// DecodeMessage parses one key message from untrusted bytes (the `data` of a relay). It is
// strict about what it uses: at most MaxMessageBytes, one JSON object, "v" 1, a known "t",
// every field of that type present with its exact type, length and range (pid 1–64
// printable ASCII characters, index 1–255, binary fields canonical base64url of their fixed
// length). Fields it does not know are ignored, as in the signaling protocol. Errors wrap
// ErrBadMessage, ErrVersion or ErrUnknownType.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) > MaxMessageBytes {
		return nil, fmt.Errorf("message of %d bytes: %w", len(b), ErrBadMessage)
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode: %w: %w", ErrBadMessage, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the object: %w", ErrBadMessage)
	}
	if w.T == nil || w.V == nil {
		return nil, fmt.Errorf("missing t or v: %w", ErrBadMessage)
	}
	if *w.V != 1 {
		return nil, fmt.Errorf("v %d: %w", *w.V, ErrVersion)
	}
	switch *w.T {
	case "announce":
		return w.announce()
	case "key":
		k, err := w.sealed(32, 48)
		if err != nil {
			return nil, err
		}
		return Key(k), nil
	case "ack":
		if w.Gen == nil || w.Step == nil {
			return nil, fmt.Errorf("ack without gen or step: %w", ErrBadMessage)
		}
		return Ack{Gen: *w.Gen, Step: *w.Step}, nil
	case "msg":
		m, err := w.sealed(tagLen, MaxMsgCiphertext)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("t %q: %w", *w.T, ErrUnknownType)
}

func (w *wire) announce() (Message, error) {
	switch {
	case w.PID == nil || !validPID(*w.PID):
		return nil, fmt.Errorf("announce pid: %w", ErrBadMessage)
	case w.Index == nil || *w.Index < 1 || *w.Index > 255:
		return nil, fmt.Errorf("announce index: %w", ErrBadMessage)
	case w.ECDH == nil || len(*w.ECDH) != PointLen || (*w.ECDH)[0] != 4:
		return nil, fmt.Errorf("announce ecdh: %w", ErrBadMessage)
	case w.MAC == nil || len(*w.MAC) != MACLen:
		return nil, fmt.Errorf("announce mac: %w", ErrBadMessage)
	}
	return Announce{PID: *w.PID, Index: uint8(*w.Index), ECDH: *w.ECDH, MAC: *w.MAC}, nil
}

// sealed checks the fields key and msg share; ct is minCT to maxCT bytes. A key's ct holds a
// 16-byte (step 0) or 32-byte (after a ratchet step) base key and the tag.
func (w *wire) sealed(minCT, maxCT int) (Msg, error) {
	switch {
	case w.Index == nil || *w.Index < 1 || *w.Index > 255:
		return Msg{}, fmt.Errorf("%s index: %w", *w.T, ErrBadMessage)
	case w.Gen == nil || w.Step == nil:
		return Msg{}, fmt.Errorf("%s without gen or step: %w", *w.T, ErrBadMessage)
	case w.Nonce == nil || len(*w.Nonce) != NonceLen:
		return Msg{}, fmt.Errorf("%s nonce: %w", *w.T, ErrBadMessage)
	case w.CT == nil || len(*w.CT) < minCT || len(*w.CT) > maxCT:
		return Msg{}, fmt.Errorf("%s ct: %w", *w.T, ErrBadMessage)
	case *w.T == "key" && len(*w.CT) != 16+tagLen && len(*w.CT) != 32+tagLen:
		return Msg{}, fmt.Errorf("key ct of %d bytes: %w", len(*w.CT), ErrBadMessage)
	}
	return Msg{Index: uint8(*w.Index), Gen: *w.Gen, Step: *w.Step, Nonce: *w.Nonce, CT: *w.CT}, nil
}

// validPID accepts 1–MaxPIDLen printable ASCII characters.
func validPID(s string) bool {
	if len(s) == 0 || len(s) > MaxPIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
