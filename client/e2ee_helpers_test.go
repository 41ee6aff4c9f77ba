package client_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"conclave/client"
	"conclave/client/e2ee"
	"conclave/sframe"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// sealedFrame is one frame as a bot received it, before decryption.
type sealedFrame struct {
	from, kind string
	data       []byte
	at         time.Time
	ok         bool // it decrypted at the receiving bot
}

// kid parses the frame's KID (after the clear prefix of its codec).
func (f sealedFrame) kid() (sframe.KID, bool) {
	p := 0
	if f.kind == "video" {
		p = sframe.VP8PrefixLen(f.data)
	}
	if p >= len(f.data) {
		return sframe.KID{}, false
	}
	h, _, err := sframe.ParseHeader(f.data[p:])
	if err != nil {
		return sframe.KID{}, false
	}
	k, err := sframe.UnpackKID(h.KID)
	return k, err == nil
}

func (f sealedFrame) codec() sframe.Codec {
	if f.kind == "video" {
		return sframe.CodecVP8
	}
	return sframe.CodecOpus
}

// e2eeBot is a bot with a room secret that keeps its chats, the frames it received, and the
// depacketized payload stream of every remote track (to search for plaintext).
type e2eeBot struct {
	*client.Client
	name string

	mu      sync.Mutex
	chats   []client.Chat
	frames  []sealedFrame
	streams map[string][]byte // participant/track → payloads without VP8 descriptors
	plains  map[string][]byte // participant/kind → decrypted frames, concatenated
}

type botOpts struct {
	secret  []byte // nil: no E2EE
	publish bool
	marker  []byte
}

func joinE2EE(t *testing.T, url, room, name string, o botOpts) *e2eeBot {
	t.Helper()
	b := &e2eeBot{name: name, streams: make(map[string][]byte), plains: make(map[string][]byte)}
	cfg := client.Config{URL: url, Room: room, Name: name, ICEIPFilter: loopbackOnly, Secret: o.secret,
		Publish: client.Publish{Video: o.publish, Audio: o.publish}, Logger: testLogger().With("bot", name),
		OnChat: func(c client.Chat) { b.mu.Lock(); b.chats = append(b.chats, c); b.mu.Unlock() },
		OnFrame: func(tr client.RemoteTrack, sealed, plain []byte) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.frames = append(b.frames, sealedFrame{from: tr.ParticipantID, kind: tr.Kind,
				data: bytes.Clone(sealed), at: time.Now(), ok: plain != nil})
			if plain != nil && len(b.plains[tr.ParticipantID+"/"+tr.Kind]) < 1<<20 {
				b.plains[tr.ParticipantID+"/"+tr.Kind] = append(b.plains[tr.ParticipantID+"/"+tr.Kind], plain...)
			}
		},
		OnRTP: func(tr client.RemoteTrack, p *rtp.Packet) {
			payload := p.Payload
			if tr.Kind == "video" {
				var d codecs.VP8Packet
				var err error
				if payload, err = d.Unmarshal(p.Payload); err != nil {
					return
				}
			}
			b.mu.Lock()
			b.streams[tr.ParticipantID+"/"+tr.TrackID] = append(b.streams[tr.ParticipantID+"/"+tr.TrackID], payload...)
			b.mu.Unlock()
		},
	}
	if o.marker != nil {
		client.SetFrameMarker(&cfg, o.marker)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Join(ctx, cfg)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	b.Client = c
	return b
}

func (b *e2eeBot) chatTexts(from string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, c := range b.chats {
		if c.From == from {
			out = append(out, c.Text)
		}
	}
	return out
}

// framesFrom returns the frames received from a participant that match keep.
func (b *e2eeBot) framesFrom(from string, keep func(sealedFrame) bool) []sealedFrame {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []sealedFrame
	for _, f := range b.frames {
		if f.from == from && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// decrypting reports whether every bot decrypts both kinds from every other bot.
func decrypting(bots []*e2eeBot, min uint64) bool {
	for _, b := range bots {
		for _, o := range bots {
			if o == b {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				if b.Received(o.ParticipantID(), kind).Decrypted < min {
					return false
				}
			}
		}
	}
	return true
}

// decryptWith counts how many of frames a key table decrypts.
func decryptWith(tab *e2ee.RecvTable, frames []sealedFrame) int {
	n := 0
	for _, f := range frames {
		if _, _, err := tab.Decrypt(f.codec(), f.data, time.Now()); err == nil {
			n++
		}
	}
	return n
}

func secretOf(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
