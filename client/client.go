package client

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// Client is one participant: a signaling session with a PeerConnection, the sources it
// publishes and the counters of what it receives. Build it with Join; stop it with Leave or
// Close. Its methods are safe for concurrent use.
type Client struct {
	cfg     Config
	log     *slog.Logger
	api     *webrtc.API
	stats   *recvStats
	sources []*source // fixed at Join, once the first welcome said whether to simulcast
	ring    *keyring  // nil without E2EE
	// ctx lives from Join to Close; the sources and sessions run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the sources

	mu            sync.Mutex
	sess          *session // nil between a dropped session and Resume
	participantID string
	resumeToken   string
	roster        map[string]Participant
	closed        bool
}

// Join connects to cfg.URL, joins cfg.Room and returns once the server's `welcome` arrived.
// Negotiation, publishing and subscribing then proceed on the client's own goroutines. ctx
// bounds the join only, not the client's life. A refused join returns a *ServerError
// (errors.As).
func Join(ctx context.Context, cfg Config) (*Client, error) {
	start := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	api, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: cfg.logger().With("component", "client", "room", cfg.Room),
		api: api, stats: newRecvStats(start)}
	if cfg.Secret != nil {
		c.ring, err = newKeyring(cfg.Secret, strings.ToLower(cfg.Room), c.log.With("component", "e2ee"), cfg.OnChat)
		if err != nil {
			return nil, err
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := c.connect(ctx, ""); err != nil {
		c.cancel()
		return nil, err
	}
	if c.ring != nil {
		c.wg.Go(c.runKeyTimers)
	}
	for _, src := range c.sources {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			src.run(c.ctx)
		}()
	}
	return c, nil
}

// connect dials, joins (resuming with token when not empty) and starts a session.
func (c *Client) connect(ctx context.Context, token string) error {
	conn, err := dial(ctx, c.cfg)
	if err != nil {
		return err
	}
	w, err := handshake(ctx, conn, c.cfg, token)
	if err != nil {
		_ = conn.CloseNow()
		return err
	}
	// Set the roster before the session starts: its loop applies room events on top.
	c.mu.Lock()
	c.participantID, c.resumeToken = w.ParticipantID, w.ResumeToken
	c.roster = make(map[string]Participant, len(w.Participants))
	for _, p := range w.Participants {
		c.roster[p.ID] = p
	}
	c.mu.Unlock()
	if c.sources == nil {
		if err := c.buildSources(w); err != nil {
			_ = conn.CloseNow()
			return err
		}
	}
	var announce []outbound
	if c.ring != nil {
		// Before the session starts: its loop may deliver others' key messages at once.
		if announce, err = c.ring.welcome(w); err != nil {
			_ = conn.CloseNow()
			return err
		}
	}
	s, err := newSession(c, conn, w)
	if err != nil {
		_ = conn.CloseNow()
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = s.close()
		return ErrClosed
	}
	// Two concurrent Resumes: the last one wins and the other's session must not leak.
	prev := c.sess
	c.sess = s
	c.mu.Unlock()
	if prev != nil {
		_ = prev.close()
	}
	c.send(announce)
	c.log.Info("joined", "participant", w.ParticipantID, "resumed", w.Resumed,
		"others", len(w.Participants), "index", w.Index, "e2ee", c.ring != nil)
	return nil
}

// ParticipantID returns the ID the server gave this client in its latest `welcome`.
func (c *Client) ParticipantID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.participantID
}

// Participants returns the other members of the room as this client knows them, sorted by ID.
func (c *Client) Participants() []Participant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.SortedFunc(maps.Values(c.roster), func(a, b Participant) int {
		return strings.Compare(a.ID, b.ID)
	})
}

// Published returns the tracks this client publishes, as announced to the server (a
// simulcast track once).
func (c *Client) Published() []TrackInfo {
	var out []TrackInfo
	for _, layers := range byTrack(c.sources) {
		s := layers[0]
		out = append(out, TrackInfo{TrackID: s.track.ID(), Kind: s.kind, Source: s.source})
	}
	return out
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	st := c.stats.snapshot()
	for _, s := range c.sources {
		st.SentPackets += s.packets.Load()
		st.SentBytes += s.bytes.Load()
	}
	return st
}

// Received sums what arrived from one participant on tracks of one kind ("audio" or
// "video"); the zero counts mean nothing arrived.
func (c *Client) Received(participantID, kind string) TrackStats {
	return sum(c.stats.snapshot().Remote, participantID, kind)
}

// Relay sends data to one participant (to empty: everyone else); the server passes it on
// unread. data is marshalled as JSON.
func (c *Client) Relay(to string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode relay data: %w", err)
	}
	s, err := c.connected()
	if err != nil {
		return err
	}
	if err := writeJSON(s.ctx, s.conn, relayMsg{Type: "relay", To: to, Data: b}); err != nil {
		return fmt.Errorf("relay to %q: %w", to, err)
	}
	return nil
}

// RelayEach sends each participant its own datum in one relay message (docs/protocol.md,
// `each`); the data are marshalled as JSON.
func (c *Client) RelayEach(each map[string]any) error {
	raw := make(map[string]json.RawMessage, len(each))
	for to, d := range each {
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode relay data for %q: %w", to, err)
		}
		raw[to] = b
	}
	s, err := c.connected()
	if err != nil {
		return err
	}
	if err := writeJSON(s.ctx, s.conn, relayEachMsg{Type: "relay", Each: raw}); err != nil {
		return fmt.Errorf("relay to %d: %w", len(each), err)
	}
	return nil
}

// Send writes one signalling message as it is, for the messages this package has no
// method for (a moderator's `admit`, `deny`, `moderate`, `end-meeting`, docs/protocol.md).
func (c *Client) Send(msg any) error {
	s, err := c.connected()
	if err != nil {
		return err
	}
	if err := writeJSON(s.ctx, s.conn, msg); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// connected returns the current session if its socket is up.
func (c *Client) connected() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, ErrClosed
	case c.sess == nil || !c.sess.connected.Load():
		return nil, ErrNotConnected
	}
	return c.sess, nil
}

// DropSocket closes the signaling socket abruptly, with no close handshake, as a network
// failure would; media keeps flowing on the PeerConnection. It is meant for tests of Resume.
func (c *Client) DropSocket() {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.dropSocket()
	}
}

// Resume replaces the session with a new one that joins with the resume token of the last
// `welcome`. Within the server's resume window (30 s) the client keeps its participant ID;
// after it, the server's `resume-failed` is followed by a fresh join and ParticipantID
// changes. Tracks are published again on a new PeerConnection; their sequence numbers and
// timestamps carry on.
func (c *Client) Resume(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	old, token := c.sess, c.resumeToken
	c.sess = nil
	c.mu.Unlock()
	if old != nil {
		if err := old.close(); err != nil {
			c.log.Debug("close old session", slog.Any("err", err))
		}
	}
	if err := c.connect(ctx, token); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return nil
}

// Leave says `leave` to the server (the write bounded by ctx), closes the socket with a
// normal close handshake, and closes the client.
func (c *Client) Leave(ctx context.Context) error {
	s, err := c.connected()
	if err == nil {
		err = writeJSON(ctx, s.conn, typeOnlyMsg{Type: "leave"})
		if err == nil {
			err = s.conn.Close(websocket.StatusNormalClosure, "leave")
		}
		if err != nil && !isNormalClose(err) {
			c.log.Debug("leave", slog.Any("err", err))
		}
	}
	return c.Close()
}

// Close stops the client: its session, PeerConnection, sources and every goroutine they
// started. It is idempotent; later calls return nil.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	s := c.sess
	c.sess = nil
	c.mu.Unlock()
	c.cancel()
	var err error
	if s != nil {
		err = s.close()
	}
	c.wg.Wait()
	return err
}
