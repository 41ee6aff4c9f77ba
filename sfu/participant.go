package sfu

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// Participant is one signalling session in a room. Its goroutine (run)
// owns its state machine and its PeerConnection; everyone else talks to it
// through post (events) and send (messages to its client). A participant
// survives the loss of its socket or ICE connection for ResumeWindow, so
// that the client can resume with the same ID.
type Participant struct {
	id       string
	name     string
	index    uint8 // E2EE sender index; set by Room.join, then fixed
	room     *Room
	sfu      *SFU
	logger   *slog.Logger
	pc       *webrtc.PeerConnection
	inbox    *queue[event]
	token    string        // resume token; set before run starts
	stop     chan struct{} // closed when a resumed session takes over
	welcomed chan struct{} // closed once the welcome is queued
	once     sync.Once
	done     chan struct{} // closed when run has cleaned up
	wg       sync.WaitGroup

	// Set before the participant joins its room, then fixed.
	joinedAt time.Time

	// Guarded by room.mu (a moderator changes them at run time): the
	// role, and in school mode what a moderator allowed (school.go).
	moderator bool
	mayUnmute bool
	mayShare  bool

	sock atomic.Pointer[socket]

	// early holds what others send before the welcome is queued (nil
	// after): joining the room and queueing the welcome are two steps,
	// and nothing may reach the client before its welcome.
	earlyMu sync.Mutex
	early   [][]byte

	// bwe estimates the downlink from the subscriber's transport-cc
	// feedback (bwe.go); select.go fits simulcast encodings into it.
	bwe *estimator

	// For the dashboard (stats.go).
	traffic traffic
	relayed atomic.Bool

	// halted tells the track goroutines that a failed read means stop:
	// pion does not always close every stream of a closed connection, so
	// cleanup also sets a read deadline on each of readers.
	halted  atomic.Bool
	readers []deadliner // owned by run
	// Owned by run.
	neg        negotiation
	announced  map[string]publishMsg // by track ID
	refused    map[string]bool       // screen tracks school mode refused, by track ID
	published  map[string]*UpTrack   // by track ID
	subs       map[*UpTrack]*subscription
	midSeq     int                       // numbers the mids of subscriptions
	candidates []webrtc.ICECandidateInit // before the first remote description
	goneTimer  *time.Timer               // socket or ICE lost: leave unless resumed
	end        *ending
}

// ending records why run must return.
type ending struct {
	reason string               // participant-left reason
	code   websocket.StatusCode // WebSocket close code
	err    error                // sent as a fatal error first, when set
	silent bool                 // replaced by a resumed session: no leave
}

// subscription is one down-track on this participant's PeerConnection.
type subscription struct {
	down        *DownTrack
	transceiver *webrtc.RTPTransceiver
	// tileW and tileH are the tile's size the client last reported
	// (video-size), -1 before any report: shown, size unknown.
	tileW, tileH int
}

// inboxLimit bounds a participant's queue; beyond it the participant is
// not keeping up and is dropped.
const inboxLimit = 4096

// newParticipant creates the session and its PeerConnection; the caller
// sets p.room, then run starts it. The caller closes p.pc if the
// participant never runs.
func newParticipant(s *SFU, roomName, id, name string, sock *socket, g Grant) (*Participant, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, err
	}
	p := &Participant{id: id, name: name, moderator: g.Moderator, joinedAt: time.Now(), sfu: s, pc: pc,
		logger: s.logger.With("room", roomName, "participant", id),
		inbox:  newQueue[event](inboxLimit), stop: make(chan struct{}), done: make(chan struct{}),
		welcomed: make(chan struct{}), early: [][]byte{},
		announced: map[string]publishMsg{}, refused: map[string]bool{}, published: map[string]*UpTrack{},
		subs: map[*UpTrack]*subscription{}, bwe: newEstimator()}
	p.sock.Store(sock)
	// pion callbacks only queue work for run (they must not block).
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) { p.post(trackEvent{remote: t, receiver: r}) })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) { p.post(pcStateEvent{state: st}) })
	// Candidates go through run too, so that each follows the answer that
	// starts its generation: after an ICE restart pion gathers while the
	// answer is still being made, and a browser drops a candidate whose
	// ufrag it does not know yet.
	pc.OnICECandidate(func(c *webrtc.ICECandidate) { p.post(candidateEvent{c: c}) })
	p.watchICE()
	return p, nil
}

// ID is the participant's ID.
func (p *Participant) ID() string { return p.id }

// baseInfo is p's participant object without its tracks.
func (p *Participant) baseInfo() ParticipantInfo {
	return ParticipantInfo{ID: p.id, Name: p.name, Index: int(p.index), Role: p.role(), Tracks: []TrackInfo{}}
}

// send queues a message for the client, if a socket is attached; before
// the welcome it is held until the welcome is queued.
func (p *Participant) send(msg []byte) {
	p.earlyMu.Lock()
	if p.early != nil {
		p.early = append(p.early, msg)
		p.earlyMu.Unlock()
		return
	}
	p.earlyMu.Unlock()
	p.sendNow(msg)
}

func (p *Participant) sendNow(msg []byte) {
	if s := p.sock.Load(); s != nil {
		s.send(msg)
	}
}

// sendFirst queues msgs (the welcome), then what was held back, and lets
// send go straight to the socket from now on.
func (p *Participant) sendFirst(msgs ...[]byte) {
	p.earlyMu.Lock()
	defer p.earlyMu.Unlock()
	for _, m := range append(msgs, p.early...) {
		p.sendNow(m)
	}
	p.early = nil
}

// post queues an event for the participant's goroutine.
func (p *Participant) post(ev event) {
	if !p.inbox.push(ev) {
		p.logger.Warn("participant inbox full, dropping event")
	}
}

// takeover stops this session because a resumed one replaced it.
func (p *Participant) takeover() { p.once.Do(func() { close(p.stop) }) }

func (p *Participant) sendCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		p.send(encode(candidateOut{Type: "candidate"}))
		return
	}
	init := c.ToJSON()
	p.send(encode(candidateOut{Type: "candidate", Candidate: &init}))
}

// sendError tells the client about a non-fatal error.
func (p *Participant) sendError(err error) {
	p.logger.Debug("signalling error", slog.Any("err", err))
	p.send(encode(errorOut{Type: "error", Code: errorCode(err), Message: publicMessage(err)}))
}

// run is the participant's goroutine. It returns after the participant has
// left the room (or was replaced) and everything it started has stopped.
func (p *Participant) run() {
	defer close(p.done)
	defer p.cleanup()
	select {
	case <-p.welcomed:
	case <-p.sfu.shutdown:
		p.end = &ending{reason: "shutdown", code: websocket.StatusGoingAway}
	}
	tick := time.NewTicker(selectTick)
	defer tick.Stop()
	for p.end == nil {
		select {
		case <-tick.C:
			p.tendMedia()
		case <-p.inbox.ready:
			for _, ev := range p.inbox.drain() {
				if p.end != nil {
					break // what is left no longer matters
				}
				p.handle(ev)
			}
		case <-timerC(p.neg.timer):
			p.negotiationTimeout()
		case <-timerC(p.goneTimer):
			p.end = &ending{reason: "timeout", code: websocket.StatusNormalClosure}
		case <-p.stop:
			p.end = &ending{reason: "resumed", code: websocket.StatusNormalClosure, silent: true}
		case <-p.sfu.shutdown:
			p.end = &ending{reason: "shutdown", code: websocket.StatusGoingAway}
		}
		if p.end == nil {
			p.maybeOffer()
		}
	}
}

// timerC is t's channel, or nil (never ready) when t is nil.
func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// cleanup leaves the room, closes the socket and the PeerConnection and
// waits for the track goroutines.
func (p *Participant) cleanup() {
	e := p.end
	if !e.silent {
		p.sfu.leaveRoom(p, e.reason)
	}
	p.sfu.forgetToken(p)
	if s := p.sock.Swap(nil); s != nil {
		if e.err != nil {
			s.send(encode(errorOut{Type: "error", Code: errorCode(e.err), Message: publicMessage(e.err), Fatal: true}))
		}
		s.close(e.code, e.reason)
	}
	stopTimer(p.goneTimer)
	stopTimer(p.neg.timer)
	for _, sub := range p.subs {
		sub.down.detach()
	}
	// GracefulClose also waits for pion's own goroutines of this
	// connection (e.g. the probe of an undeclared SSRC).
	if err := p.pc.GracefulClose(); err != nil {
		p.logger.Debug("close peer connection", slog.Any("err", err))
	}
	p.halted.Store(true)
	for _, r := range p.readers {
		_ = r.SetReadDeadline(time.Unix(1, 0)) // fails for readers already gone
	}
	p.wg.Wait()
	p.sfu.metrics.upTracks.Sub(float64(len(p.published)))
	p.sfu.metrics.participants.Dec()
	p.logger.Info("participant left", "reason", e.reason)
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}
