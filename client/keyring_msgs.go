package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"conclave/client/e2ee"
)

// Chat is a chat message another participant sent, decrypted.
type Chat struct {
	From string    // participant ID of the sender
	ID   string    // the sender's message ID
	Text string    // at most 4000 characters
	Time time.Time // the sender's clock when it sent the message
}

// handle processes one relayed E2EE message from participant from. It reports whether data
// was an E2EE message at all (anything else goes to Config.OnRelay).
func (k *keyring) handle(from string, data []byte) (out []outbound, chats []Chat, ok bool) {
	m, err := e2ee.DecodeMessage(data)
	if errors.Is(err, e2ee.ErrUnknownType) || (err != nil && !looksE2EE(data)) {
		return nil, nil, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil || k.roster == nil {
		k.log.Info("e2ee: bad message", "from", from, slog.Any("err", err))
		return nil, nil, true
	}
	// Only participants the server shows in the room are heard: no invisible readers, and a
	// participant who left is never verified again.
	if !k.present[from] {
		return nil, nil, true
	}
	switch m := m.(type) {
	case e2ee.Announce:
		out = k.onAnnounceLocked(from, m)
	case e2ee.Key:
		out, chats = k.onKeyLocked(from, m)
	case e2ee.Ack:
		if k.policy.Ack(from, m.Gen, m.Step) {
			k.switchedLocked()
		}
	case e2ee.Msg:
		chats = k.onMsgLocked(from, m, k.now())
	}
	return out, chats, true
}

// looksE2EE reports whether data is an object with a "t" field: the shape of every E2EE
// message, so a broken one is logged here rather than passed on as an application relay.
func looksE2EE(data []byte) bool {
	var probe struct {
		T *json.RawMessage `json:"t"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.T != nil
}

func (k *keyring) onAnnounceLocked(from string, a e2ee.Announce) []outbound {
	e, change, dropped, err := k.roster.Accept(from, a)
	if dropped != "" {
		k.dropLocked(dropped)
	}
	if err != nil {
		// ErrBadMAC: "joined with a different meeting link"; it never gets keys.
		k.log.Info("e2ee: announce refused", "from", from, slog.Any("err", err))
		return nil
	}
	if change == e2ee.Unchanged {
		// The same announce again comes from a participant that resumed: keys sent while
		// its socket was down are lost, so it gets the current ones once more.
		ds, err := k.policy.Add(e.PID, false, k.now())
		if err != nil || k.pairs[e.PID] == nil {
			return nil
		}
		return k.wrapLocked(ds)
	}
	if change == e2ee.Replaced {
		k.table.Forget(e.Index)
		delete(k.keyed, e.PID)
	}
	p, err := k.keys.NewPair(k.priv, k.pid, e.Public, e.PID)
	if err != nil {
		k.log.Info("e2ee: pair", "with", e.PID, slog.Any("err", err))
		return nil
	}
	k.pairs[e.PID] = p
	newcomer := change == e2ee.Added && !k.earlier[e.PID]
	ds, err := k.policy.Add(e.PID, newcomer, k.now())
	if err != nil {
		k.log.Error("e2ee: add participant", slog.Any("err", err))
		return nil
	}
	if newcomer {
		k.switchedLocked() // the ratchet step is used at once
	}
	k.log.Debug("e2ee: verified", "participant", e.PID, "index", e.Index, "newcomer", newcomer)
	return k.wrapLocked(ds)
}

func (k *keyring) onKeyLocked(from string, m e2ee.Key) ([]outbound, []Chat) {
	e, ok := k.roster.Get(from)
	p := k.pairs[from]
	if !ok || p == nil || m.Index != e.Index {
		k.log.Info("e2ee: key from an unverified sender or with another index", "from", from, "index", m.Index)
		return nil, nil
	}
	sk, err := p.Unwrap(m)
	if err != nil {
		k.log.Info("e2ee: key refused", "from", from, slog.Any("err", err))
		return nil, nil
	}
	now := k.now()
	if err := k.table.Set(e.Index, sk, now); err != nil && !errors.Is(err, e2ee.ErrStale) {
		k.log.Info("e2ee: key not installed", "from", from, slog.Any("err", err))
		return nil, nil
	}
	// No ack (docs/e2ee.md): after a leave, a room's worth of acks from everyone would run
	// into the server's rate limit; the sender switches after its timeout. No hand state
	// either: bots never raise a hand, and a lowered hand is what a newcomer assumes.
	var out []outbound
	k.keyed[from] = true
	held := k.held
	k.held = nil
	var chats []Chat
	for _, h := range held {
		chats = append(chats, k.onMsgLocked(h.from, h.m, h.at)...)
	}
	return out, chats
}

// onMsgLocked decrypts a msg, or holds it (since at) while its key may still come.
func (k *keyring) onMsgLocked(from string, m e2ee.Msg, at time.Time) []Chat {
	e, ok := k.roster.Get(from)
	if !ok || m.Index != e.Index {
		k.log.Info("e2ee: msg from an unverified sender or with another index", "from", from)
		return nil
	}
	key, ok := k.table.MsgKey(e.Index, m.Gen, m.Step)
	if !ok {
		if len(k.held) < maxHeldMsg {
			k.held = append(k.held, heldMsg{from: from, m: m, at: at})
		}
		return nil
	}
	b, err := k.keys.OpenMsg(from, m, key)
	if err != nil {
		k.log.Info("e2ee: msg refused", "from", from, slog.Any("err", err))
		return nil
	}
	body, err := e2ee.DecodeBody(b)
	if err != nil {
		k.log.Info("e2ee: msg body", "from", from, slog.Any("err", err))
		return nil
	}
	if body.Kind != "chat" {
		return nil // reactions and hands: bots have no use for them
	}
	return []Chat{{From: from, ID: body.ID, Text: body.Text, Time: time.UnixMilli(body.TS)}}
}

// sealLocked encrypts a msg body under the current sender key, for to ("" everyone).
func (k *keyring) sealLocked(to string, body e2ee.Body) (outbound, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return outbound{}, fmt.Errorf("encode msg body: %w", err)
	}
	nonce := make([]byte, e2ee.NonceLen)
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return outbound{}, fmt.Errorf("msg nonce: %w", err)
	}
	m, err := k.keys.SealMsg(k.pid, k.index, k.policy.Current(), nonce, b)
	if err != nil {
		return outbound{}, err
	}
	return outbound{to: to, msg: m}, nil
}

// chat builds a chat msg for everyone else.
func (k *keyring) chat(text string) (outbound, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.policy == nil {
		return outbound{}, ErrNotConnected
	}
	return k.sealLocked("", e2ee.Body{Kind: "chat", ID: randomID(), Text: text, TS: k.now().UnixMilli()})
}
