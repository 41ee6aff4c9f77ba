package e2ee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// MaxChatChars is the longest chat text, in characters.
const MaxChatChars = 4000

// Body is the decrypted JSON body of a msg. Kind is "chat" (ID, Text, TS), "reaction"
// (Emoji) or "hand" (Raised, TS: when the hand went up). TS is Unix milliseconds.
type Body struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"`
	Text   string `json:"text,omitempty"`
	Emoji  string `json:"emoji,omitempty"`
	Raised *bool  `json:"raised,omitempty"`
	TS     int64  `json:"ts,omitempty"`
}

// DecodeBody parses a decrypted msg body. It came from a verified participant but is still
// checked: a known kind with its fields, chat text at most MaxChatChars characters, an ID
// and emoji of at most 64 bytes.
func DecodeBody(b []byte) (Body, error) {
	var body Body
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&body); err != nil {
		return Body{}, fmt.Errorf("msg body: %w: %w", ErrBadMessage, err)
	}
	if dec.More() {
		return Body{}, fmt.Errorf("msg body: data after the object: %w", ErrBadMessage)
	}
	switch {
	case len(body.ID) > 64 || len(body.Emoji) > 64:
		return Body{}, fmt.Errorf("msg body: id or emoji too long: %w", ErrBadMessage)
	case body.Kind == "chat" && (body.ID == "" || utf8.RuneCountInString(body.Text) > MaxChatChars):
		return Body{}, fmt.Errorf("chat body: missing id or text too long: %w", ErrBadMessage)
	case body.Kind == "reaction" && body.Emoji == "":
		return Body{}, fmt.Errorf("reaction body without emoji: %w", ErrBadMessage)
	case body.Kind == "hand" && body.Raised == nil:
		return Body{}, fmt.Errorf("hand body without raised: %w", ErrBadMessage)
	case body.Kind != "chat" && body.Kind != "reaction" && body.Kind != "hand":
		return Body{}, fmt.Errorf("msg body kind %q: %w", body.Kind, ErrUnknownType)
	}
	return body, nil
}
