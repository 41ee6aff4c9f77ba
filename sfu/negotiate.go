package sfu

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// negotiation is the server's side of perfect negotiation (docs/protocol.md):
// the server is impolite. It has at most one offer outstanding and folds
// every change made meanwhile into the next one; a client offer that
// collides with ours is ignored (the polite client drops its own and offers
// again later). Owned by the participant's goroutine.
//
// pion cannot roll a description back (pion/webrtc#2133), so our offer is
// applied (SetLocalDescription) only when its answer arrives: until then
// nothing is committed, and an offer that gets no usable answer is simply
// forgotten. Descriptions from the client are checked (sdpcheck.go) before
// they are applied, for the same reason.
type negotiation struct {
	needed   bool                       // local changes wait for an offer
	offer    *webrtc.SessionDescription // sent, not yet applied, awaiting its answer
	timer    *time.Timer                // running while offer is set
	failures int                        // consecutive offers that got no usable answer
}

// maxNegotiationFailures ends a session whose client keeps failing to
// answer, instead of offering forever.
const maxNegotiationFailures = 3

// maybeOffer sends an offer when changes wait and none is outstanding.
func (p *Participant) maybeOffer() {
	n := &p.neg
	if !n.needed || n.offer != nil || p.sock.Load() == nil || p.pc.SignalingState() != webrtc.SignalingStateStable ||
		p.pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
		return
	}
	n.needed = false
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.fail(fmt.Errorf("create offer: %w", err))
		return
	}
	p.send(encode(sdpOut{Type: "offer", SDP: offer.SDP, Tracks: p.offerTracks()}))
	n.offer = &offer
	n.timer = time.NewTimer(p.sfu.cfg.NegotiationTimeout)
}

// fail ends the session after an error we cannot recover from.
func (p *Participant) fail(err error) {
	code := websocket.StatusPolicyViolation
	if p.pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
		// The client closed its connection under us: nothing failed here.
		p.end = &ending{reason: "left", code: websocket.StatusNormalClosure}
		return
	}
	if errorCode(err) == "internal" {
		code = websocket.StatusInternalError
		p.logger.Error("session failed", slog.Any("err", err))
	}
	p.end = &ending{reason: "left", code: code, err: err}
}

// offerTracks maps the mid of each subscription to whose track it carries.
func (p *Participant) offerTracks() map[string]offerTrack {
	out := make(map[string]offerTrack, len(p.subs))
	for u, sub := range p.subs {
		if mid := sub.transceiver.Mid(); mid != "" {
			out[mid] = offerTrack{ParticipantID: u.participantID, TrackID: u.info.TrackID,
				Kind: u.info.Kind, Source: u.info.Source}
		}
	}
	return out
}

// onOffer applies a client offer (publishing, unpublishing or an ICE
// restart) and answers it.
func (p *Participant) onOffer(m offerMsg) {
	desc := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}
	if err := p.checkOffer(desc); err != nil {
		p.sendError(err)
		return
	}
	if p.neg.offer != nil {
		p.logger.Debug("ignoring client offer that collides with ours")
		return
	}
	if err := p.pc.SetRemoteDescription(desc); err != nil {
		p.applyFailed(fmt.Errorf("%w: set remote offer: %w", ErrBadSDP, err))
		return
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(answer)
	}
	if err != nil {
		p.fail(fmt.Errorf("%w: answer: %w", ErrBadSDP, err))
		return
	}
	p.send(encode(sdpOut{Type: "answer", SDP: answer.SDP}))
	p.addCandidates()
}

// applyFailed handles a description pion refused. If pion refused it
// before changing state, the session goes on; if not, it cannot (no
// rollback), and the client must resume with a new connection.
func (p *Participant) applyFailed(err error) {
	if p.pc.SignalingState() == webrtc.SignalingStateStable {
		p.sendError(err)
		return
	}
	p.fail(err)
}

// onAnswer applies our outstanding offer and the client's answer to it. An
// answer that comes after we gave up waiting is stale and dropped.
func (p *Participant) onAnswer(m answerMsg) {
	n := &p.neg
	if n.offer == nil {
		p.logger.Debug("dropping answer to no outstanding offer")
		return
	}
	offer := *n.offer
	n.offer = nil
	stopTimer(n.timer)
	n.timer = nil
	answer := webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}
	if err := checkDescription(answer); err != nil {
		p.sendError(err)
		p.negotiationFailed()
		return
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		p.fail(fmt.Errorf("set local offer: %w", err))
		return
	}
	if err := p.pc.SetRemoteDescription(answer); err != nil {
		p.fail(fmt.Errorf("%w: set remote answer: %w", ErrBadSDP, err))
		return
	}
	n.failures = 0
	p.addCandidates()
}

// negotiationTimeout forgets an offer the client did not answer.
func (p *Participant) negotiationTimeout() {
	p.neg.offer, p.neg.timer = nil, nil
	p.logger.Debug("offer not answered in time")
	p.negotiationFailed()
}

// negotiationFailed schedules another offer, or ends a session whose
// client repeatedly fails to answer.
func (p *Participant) negotiationFailed() {
	p.neg.needed = true
	if p.neg.failures++; p.neg.failures >= maxNegotiationFailures {
		p.fail(clientErr(ErrBadSDP, "negotiation failed repeatedly"))
	}
}

// checkOffer refuses an offer pion would choke on, or that would publish
// more tracks than allowed, before pion sets up receivers for them.
func (p *Participant) checkOffer(desc webrtc.SessionDescription) error {
	if err := checkDescription(desc); err != nil {
		return err
	}
	parsed, err := desc.Unmarshal()
	if err != nil {
		return fmt.Errorf("%w: parse offer: %w", ErrBadSDP, err)
	}
	sending := 0
	for _, md := range parsed.MediaDescriptions {
		if (md.MediaName.Media == "audio" || md.MediaName.Media == "video") && md.MediaName.Port.Value != 0 &&
			clientSends(md) {
			sending++
		}
	}
	if sending > p.sfu.cfg.MaxTracksPerParticipant {
		return fmt.Errorf("%w: offer sends %d tracks, at most %d", ErrTooManyTracks, sending,
			p.sfu.cfg.MaxTracksPerParticipant)
	}
	return nil
}

// clientSends reports whether an m-line of a client offer sends media.
func clientSends(md *sdp.MediaDescription) bool {
	for _, a := range md.Attributes {
		switch a.Key {
		case "recvonly", "inactive":
			return false
		case "sendonly", "sendrecv":
			return true
		}
	}
	return true // RFC 4566: sendrecv when absent
}

// onCandidate adds a client ICE candidate, or keeps it until the first
// remote description exists. null (end of candidates) needs nothing.
func (p *Participant) onCandidate(m candidateMsg) {
	if m.Candidate == nil || m.Candidate.Candidate == "" {
		return
	}
	if p.pc.RemoteDescription() == nil {
		if len(p.candidates) < 64 {
			p.candidates = append(p.candidates, *m.Candidate)
		}
		return
	}
	if err := p.pc.AddICECandidate(*m.Candidate); err != nil {
		// Often a candidate of an offer we ignored in a collision.
		p.logger.Debug("add ice candidate", slog.Any("err", err))
	}
}

func (p *Participant) addCandidates() {
	for _, c := range p.candidates {
		if err := p.pc.AddICECandidate(c); err != nil {
			p.logger.Debug("add ice candidate", slog.Any("err", err))
		}
	}
	p.candidates = nil
}
