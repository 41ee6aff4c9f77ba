package sfu

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// testPeer is a minimal meeting client for tests: a real pion
// PeerConnection and a WebSocket speaking protocol v1, polite in perfect
// negotiation. All PeerConnection operations run on its loop goroutine.
type testPeer struct {
	t      testing.TB
	name   string
	conn   *websocket.Conn
	pc     *webrtc.PeerConnection
	id     string
	token  string
	events chan serverMsg // room events and errors, for assertions
	cmds   chan func()
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed chan struct{} // closed when the socket reader stops
	endErr error         // why it stopped; read after closed

	// Owned by the loop goroutine.
	pending   []webrtc.ICECandidateInit
	needOffer bool
	offer     *webrtc.SessionDescription // sent, applied only when answered

	seen []serverMsg // events waitEvent has read; owned by the test goroutine

	mu   sync.Mutex
	mids map[string]offerTrack // server mids -> whose track
	recv map[string]*received  // by publisher/trackID
	sent []*testSource
}

// serverMsg is any message from the server, with the fields tests look at.
type serverMsg struct {
	Type          string                `json:"type"`
	Code          string                `json:"code"`
	Fatal         bool                  `json:"fatal"`
	SDP           string                `json:"sdp"`
	Tracks        map[string]offerTrack `json:"tracks"`
	ParticipantID string                `json:"participantId"`
	Index         int                   `json:"index"`
	ResumeToken   string                `json:"resumeToken"`
	Resumed       bool                  `json:"resumed"`
	TrackID       string                `json:"trackId"`
	From          string                `json:"from"`
	Data          json.RawMessage       `json:"data"`
	Reason        string                `json:"reason"`
	Participants  []ParticipantInfo     `json:"participants"`
	Limits        struct {
		MaxParticipants int `json:"maxParticipants"`
	} `json:"limits"`
	Participant *ParticipantInfo `json:"participant"`
	Track       *TrackInfo       `json:"track"`
	Candidate   *webrtc.ICECandidateInit
	// Room state, the joiner itself, speakers (school_test.go, speaker_test.go).
	Room     *RoomState       `json:"room"`
	Self     *ParticipantInfo `json:"self"`
	Active   []string         `json:"active"`
	Dominant string           `json:"dominant"`
	Muted    bool             `json:"muted"`
}

// testAPI builds the client side: pion's defaults, loopback only, over
// UDP unless networks says otherwise.
func testAPI(t testing.TB, networks ...webrtc.NetworkType) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(networks) == 0 {
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	se.SetNetworkTypes(networks)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// dialPeer joins room as name (resuming with token when not empty) and
// waits for the welcome.
func dialPeer(t testing.TB, wsURL, room, name, resume string) *testPeer {
	t.Helper()
	return dialPeerWith(t, testAPI(t), wsURL, room, name, resume)
}

// dialPeerWith is dialPeer with the client's own pion API.
func dialPeerWith(t testing.TB, api *webrtc.API, wsURL, room, name, resume string) *testPeer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		cancel()
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	conn.SetReadLimit(1 << 20)
	p := &testPeer{t: t, name: name, conn: conn, ctx: ctx, cancel: cancel, events: make(chan serverMsg, 512),
		cmds: make(chan func(), 16), closed: make(chan struct{}), mids: map[string]offerTrack{},
		recv: map[string]*received{}}
	t.Cleanup(p.close)
	p.sendJSON(map[string]any{"type": "join", "v": 1, "room": room, "name": name, "resume": resume})
	w := p.waitWelcome()
	p.id, p.token = w.ParticipantID, w.ResumeToken
	if p.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	p.pc.OnICECandidate(p.onCandidate)
	p.pc.OnTrack(p.onTrack)
	inbox := make(chan serverMsg, 64)
	p.wg.Add(2)
	go p.readLoop(inbox)
	go p.loop(inbox)
	return p
}

func (p *testPeer) waitWelcome() serverMsg {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	for {
		m, err := p.read(ctx)
		if err != nil {
			p.t.Fatalf("%s: wait for welcome: %v", p.name, err)
		}
		switch {
		case m.Type == "welcome":
			return m
		case m.Type == "error" && m.Fatal:
			p.t.Fatalf("%s: join refused: %s", p.name, m.Code)
		}
	}
}

func (p *testPeer) read(ctx context.Context) (serverMsg, error) {
	_, data, err := p.conn.Read(ctx)
	if err != nil {
		return serverMsg{}, err
	}
	var m serverMsg
	return m, json.Unmarshal(data, &m)
}

func (p *testPeer) sendJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		p.errorf("marshal: %v", err)
		return
	}
	p.sendRaw(b)
}

func (p *testPeer) sendRaw(b []byte) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	_ = p.conn.Write(ctx, websocket.MessageText, b)
}

func (p *testPeer) readLoop(inbox chan<- serverMsg) {
	defer p.wg.Done()
	defer close(p.closed)
	for {
		m, err := p.read(p.ctx)
		if err != nil {
			p.endErr = err
			return
		}
		select {
		case inbox <- m:
		case <-p.ctx.Done():
			return
		}
	}
}

// loop owns the PeerConnection's signalling.
func (p *testPeer) loop(inbox <-chan serverMsg) {
	defer p.wg.Done()
	for {
		select {
		case m := <-inbox:
			p.handle(m)
		case f := <-p.cmds:
			f()
		case <-p.ctx.Done():
			return
		}
		p.maybeOffer()
	}
}

func (p *testPeer) handle(m serverMsg) {
	switch m.Type {
	case "offer":
		p.onOffer(m)
	case "answer":
		p.onAnswer(m)
	case "candidate":
		if m.Candidate == nil {
			return
		}
		if p.pc.RemoteDescription() == nil {
			p.pending = append(p.pending, *m.Candidate)
			return
		}
		_ = p.pc.AddICECandidate(*m.Candidate)
	default:
		select {
		case p.events <- m:
		default:
		}
	}
}

func (p *testPeer) onOffer(m serverMsg) {
	p.mu.Lock()
	for mid, tr := range m.Tracks {
		p.mids[mid] = tr
	}
	p.mu.Unlock()
	if p.offer != nil {
		// Polite: our own offer loses. pion cannot roll back, which is
		// why offers are applied only when answered: dropping it is the
		// rollback.
		p.offer, p.needOffer = nil, true
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
		p.errorf("%s: set offer: %v", p.name, err)
		return
	}
	p.addPending()
	answer, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(answer)
	}
	if err != nil {
		p.errorf("%s: answer: %v", p.name, err)
		return
	}
	p.sendJSON(map[string]any{"type": "answer", "sdp": answer.SDP})
}

func (p *testPeer) maybeOffer() {
	if !p.needOffer || p.offer != nil || p.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	p.needOffer = false
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.errorf("%s: offer: %v", p.name, err)
		return
	}
	p.offer = &offer
	p.sendJSON(map[string]any{"type": "offer", "sdp": offer.SDP})
}

func (p *testPeer) onAnswer(m serverMsg) {
	if p.offer == nil {
		return // an answer to an offer we dropped
	}
	offer := *p.offer
	p.offer = nil
	if err := p.pc.SetLocalDescription(offer); err != nil {
		p.errorf("%s: set offer: %v", p.name, err)
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
		p.errorf("%s: set answer: %v", p.name, err)
	}
	p.addPending()
}

func (p *testPeer) addPending() {
	for _, c := range p.pending {
		_ = p.pc.AddICECandidate(c)
	}
	p.pending = nil
}

func (p *testPeer) onCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		p.sendJSON(map[string]any{"type": "candidate", "candidate": nil})
		return
	}
	p.sendJSON(map[string]any{"type": "candidate", "candidate": c.ToJSON()})
}

// errorf reports a failure, unless the peer is being closed (its
// PeerConnection then fails every call).
func (p *testPeer) errorf(format string, args ...any) {
	if p.ctx.Err() == nil {
		p.t.Errorf(format, args...)
	}
}

// do runs f on the loop goroutine and waits for it.
func (p *testPeer) do(f func()) {
	done := make(chan struct{})
	select {
	case p.cmds <- func() { f(); close(done) }:
	case <-p.ctx.Done():
		return
	}
	select {
	case <-done:
	case <-p.ctx.Done():
	}
}

// waitEvent waits for a room event that match accepts. Events are kept,
// so waits may look for them in any order. Only the test goroutine calls it.
func (p *testPeer) waitEvent(timeout time.Duration, what string, match func(serverMsg) bool) serverMsg {
	p.t.Helper()
	for _, m := range p.seen {
		if match(m) {
			return m
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case m := <-p.events:
			p.seen = append(p.seen, m)
			if match(m) {
				return m
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s within %v", p.name, what, timeout)
			return serverMsg{}
		}
	}
}

// dropSocket closes the WebSocket without a goodbye, keeping nothing else.
func (p *testPeer) dropSocket() {
	_ = p.conn.CloseNow()
	<-p.closed
}

func (p *testPeer) close() {
	p.mu.Lock()
	sources := p.sent
	p.mu.Unlock()
	for _, s := range sources {
		s.once.Do(func() { close(s.done) })
	}
	_ = p.conn.CloseNow()
	p.cancel()
	if p.pc != nil {
		_ = p.pc.GracefulClose() // ends the RTCP readers of the sources
	}
	for _, s := range sources {
		s.wg.Wait()
	}
	p.wg.Wait()
}

// remoteSSRC is the SSRC the client sends track with.
func senderSSRC(s *webrtc.RTPSender) uint32 {
	enc := s.GetParameters().Encodings
	if len(enc) == 0 {
		return 0
	}
	return uint32(enc[0].SSRC)
}
