package sfu

import (
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// event is anything a participant's goroutine handles.
type event interface{}

type (
	// msgEvent is a validated message from the client.
	msgEvent struct{ msg clientMessage }
	// socketEvent reports that the reader of sock stopped; left is true
	// after a leave message.
	socketEvent struct {
		sock *socket
		left bool
	}
	// trackEvent is pion's OnTrack: the client started sending a track.
	trackEvent struct {
		remote   *webrtc.TrackRemote
		receiver *webrtc.RTPReceiver
	}
	// trackEndedEvent: the reader of one of our up-tracks returned.
	trackEndedEvent struct{ up *UpTrack }
	// subscribeEvent / unsubscribeEvent: another participant's track
	// started or ended.
	subscribeEvent   struct{ up *UpTrack }
	unsubscribeEvent struct{ up *UpTrack }
	// pcStateEvent is pion's OnConnectionStateChange.
	pcStateEvent struct{ state webrtc.PeerConnectionState }
	// candidateEvent is pion's OnICECandidate; nil ends our candidates.
	candidateEvent struct{ c *webrtc.ICECandidate }
	// fatalEvent ends the session with an error (from the socket reader).
	fatalEvent struct{ err error }
)

// handle dispatches one event to its handler.
func (p *Participant) handle(ev event) {
	switch ev := ev.(type) {
	case msgEvent:
		p.handleMessage(ev.msg)
	case socketEvent:
		p.onSocketClosed(ev)
	case trackEvent:
		if !p.refusedTrack(ev.remote) { // school.go
			p.onTrack(ev.remote, ev.receiver)
			p.holdNewTracks()
		}
	case trackEndedEvent:
		p.dropUpTrack(ev.up)
	case subscribeEvent:
		p.subscribe(ev.up)
	case unsubscribeEvent:
		p.unsubscribe(ev.up)
	case pcStateEvent:
		p.onConnectionState(ev.state)
	case candidateEvent:
		p.sendCandidate(ev.c)
	case fatalEvent:
		p.end = &ending{reason: "left", code: websocket.StatusPolicyViolation, err: ev.err}
	case endEvent:
		p.end = &ev.e
	case modMuteEvent:
		p.muteByModerator()
	case holdEvent:
		p.syncHold(ev)
	}
}

// handleMessage dispatches one client message to its handler.
func (p *Participant) handleMessage(m clientMessage) {
	switch m := m.(type) {
	case offerMsg:
		p.onOffer(m)
	case answerMsg:
		p.onAnswer(m)
	case candidateMsg:
		p.onCandidate(m)
	case publishMsg:
		if !p.refusePublish(m) { // school mode, school.go
			p.onPublish(m)
		}
	case unpublishMsg:
		p.onUnpublish(m)
	case muteMsg:
		if !p.refuseUnmute(m) { // school mode, school.go
			p.onMute(m)
		}
	case relayMsg:
		// E2EE keys, chat and reactions: log the size, never the data.
		if m.Each != nil {
			p.logger.Debug("relay", "recipients", len(m.Each))
			for to, data := range m.Each {
				p.room.relay(p, to, data)
			}
			break
		}
		p.logger.Debug("relay", "bytes", len(m.Data), "to_one", m.To != "")
		p.room.relay(p, m.To, m.Data)
	case videoSizeMsg:
		p.onVideoSize(m)
	case leaveMsg:
		p.end = &ending{reason: "left", code: websocket.StatusNormalClosure}
	case admitMsg, denyMsg, moderateMsg, endMeetingMsg, lockRoomMsg, schoolModeMsg:
		p.onModeration(m)
	}
}

// onSocketClosed detaches the socket. Unless the client said leave, the
// participant waits ResumeWindow for a resume.
func (p *Participant) onSocketClosed(ev socketEvent) {
	if p.sock.Load() != ev.sock {
		return // an old socket
	}
	if ev.left {
		p.end = &ending{reason: "left", code: websocket.StatusNormalClosure}
		return
	}
	p.sock.Store(nil)
	p.logger.Info("signalling socket lost, waiting for resume", "window", p.sfu.cfg.ResumeWindow)
	p.startGoneTimer()
}

// onConnectionState tracks ICE: a failed connection gets ResumeWindow to
// come back (ICE restart by the client, or a resume).
func (p *Participant) onConnectionState(st webrtc.PeerConnectionState) {
	p.logger.Debug("peer connection state", "state", st.String())
	switch st {
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		// Closed: the client ended DTLS, and a session has one connection;
		// it can only resume with a new one.
		p.startGoneTimer()
	case webrtc.PeerConnectionStateConnected:
		if p.sock.Load() != nil {
			stopTimer(p.goneTimer)
			p.goneTimer = nil
		}
	}
}

func (p *Participant) startGoneTimer() {
	if p.goneTimer == nil {
		p.goneTimer = time.NewTimer(p.sfu.cfg.ResumeWindow)
	}
}
