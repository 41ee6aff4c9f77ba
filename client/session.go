package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// session is one signaling socket and the PeerConnection negotiated over it. A resume
// replaces the whole session (the server drops the old one, docs/protocol.md "Join"); the
// client's sources and counters outlive it.
//
// Goroutines: readLoop (socket → queue), run (the only one that negotiates), one reader per
// remote track and one RTCP drain per sender. close stops and waits for all of them.
type session struct {
	c         *Client
	log       *slog.Logger
	conn      *websocket.Conn
	pc        *webrtc.PeerConnection
	ctx       context.Context
	cancel    context.CancelFunc
	events    *eventQueue
	connected atomic.Bool // the socket is up
	features  []string    // welcome.features: the optional messages the server understands

	// Owned by the run goroutine.
	needOffer         bool                       // tracks await an offer of ours
	offerInFlight     *webrtc.SessionDescription // sent, not yet applied (see negotiate.go)
	pendingCandidates []webrtc.ICECandidateInit

	mu     sync.Mutex
	wg     sync.WaitGroup         // Add only under mu, while !closed
	mids   map[string]RemoteTrack // server-sent transceivers, from the `tracks` of its offers
	closed bool
}

// newSession builds the PeerConnection for a welcomed socket and starts the session's
// goroutines. The first thing its loop does is publish the client's tracks.
func newSession(c *Client, conn *websocket.Conn, w welcomeMsg) (*session, error) {
	ice := w.ICEServers
	if c.cfg.ICEServers != nil {
		ice = c.cfg.ICEServers
	}
	policy := webrtc.ICETransportPolicyAll
	if c.cfg.RelayOnly {
		policy = webrtc.ICETransportPolicyRelay
	}
	pc, err := c.api.NewPeerConnection(webrtc.Configuration{ICEServers: ice,
		BundlePolicy: webrtc.BundlePolicyMaxBundle, ICETransportPolicy: policy})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	s := &session{
		c: c, log: c.log.With("participant", w.ParticipantID), conn: conn, pc: pc,
		events: newEventQueue(), mids: make(map[string]RemoteTrack), features: w.Features,
	}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	s.connected.Store(true)
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		s.events.push(func() { s.sendCandidate(cand) })
	})
	pc.OnTrack(s.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Debug("peer connection state", "state", st.String())
		if st == webrtc.PeerConnectionStateConnected {
			// Frames sent before the transport was up went nowhere: start with a key
			// frame, as an encoder does when its network comes up (a receiver that
			// got a delta frame first would have to ask for one).
			for _, src := range c.sources {
				src.keyframeWanted.Store(true)
			}
		}
	})
	s.mu.Lock()
	s.wg.Add(2)
	s.mu.Unlock()
	go s.readLoop()
	go s.run()
	s.events.push(s.publish)
	return s, nil
}

// readLoop moves socket messages to the loop until the socket ends.
func (s *session) readLoop() {
	defer s.wg.Done()
	for {
		typ, b, err := readMessage(s.ctx, s.conn)
		if errors.Is(err, ErrProtocol) {
			s.log.Warn("ignoring bad message from server", slog.Any("err", err))
			continue
		}
		if err != nil {
			s.connected.Store(false)
			if isNormalClose(err) || s.ctx.Err() != nil {
				s.log.Debug("signaling socket closed", slog.Any("err", err))
			} else {
				s.log.Info("signaling socket lost", slog.Any("err", err))
			}
			return
		}
		s.events.push(func() { s.handle(typ, b) })
	}
}

// run executes queued events one at a time until the session closes.
func (s *session) run() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.events.ready:
			for _, f := range s.events.take() {
				if s.ctx.Err() != nil {
					return
				}
				f()
			}
		}
	}
}

// handle dispatches one server message; it runs on the loop.
func (s *session) handle(typ string, b []byte) {
	switch typ {
	case "offer":
		s.onOffer(b)
	case "answer":
		s.onAnswer(b)
	case "candidate":
		s.onRemoteCandidate(b)
	case "relay":
		s.c.onRelay(b)
	case "error":
		s.onServerError(b)
	case "layers":
		s.c.onLayers(b)
	case "participant-joined", "participant-left", "participant-updated",
		"track-published", "track-unpublished", "mute":
		s.c.onRoomEvent(typ, b)
	default:
		s.log.Debug("ignoring message", "type", typ)
	}
}

func (s *session) onServerError(b []byte) {
	var se ServerError
	if err := json.Unmarshal(b, &se); err != nil {
		s.log.Warn("bad error message from server", slog.Any("err", err))
		return
	}
	s.log.Warn("server error", "code", se.Code, "message", se.Message, "fatal", se.Fatal)
}

// send writes one message; a failure is logged here because the loop is the owner.
func (s *session) send(v any) {
	if err := writeJSON(s.ctx, s.conn, v); err != nil {
		if s.connected.Load() && s.ctx.Err() == nil {
			s.log.Info("send to server", slog.Any("err", err))
		}
	}
}

// spawn starts f as a goroutine of the session unless it is closing. It reports whether
// f was started.
func (s *session) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// dropSocket closes the socket without a close handshake, as a lost network would.
func (s *session) dropSocket() {
	s.connected.Store(false)
	_ = s.conn.CloseNow()
}

// close ends the session: socket, PeerConnection and every goroutine of it.
func (s *session) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.connected.Store(false)
	_ = s.conn.CloseNow()
	err := s.pc.GracefulClose()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("close peer connection: %w", err)
	}
	return nil
}
