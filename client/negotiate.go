package client

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/pion/webrtc/v4"
)

// Perfect negotiation, polite side (docs/protocol.md "Negotiation"; W3C WebRTC §10.7). All of
// it runs on the session's loop goroutine, so no two steps interleave.
//
// pion cannot roll back a local offer (pion/webrtc#2133: its signaling state machine has no
// have-local-offer → stable transition), so the client never applies its offer before the
// server accepts it: it sends the offer from CreateOffer and calls SetLocalDescription only
// when the answer arrives. A server offer that crosses ours means the (impolite) server
// ignored ours; dropping the unapplied offer is then exactly the rollback the pattern asks
// for, and we offer again once stable. The cost is that our candidates for a new offer start
// one round trip later.

// publish announces each local track and adds it as a send-only transceiver, then offers.
// A send-only direction matters: pion hands a remote send-only m-line to any local
// transceiver that can receive and has no mid yet, so a send-receive one would be taken over
// by the server's offer before ours is answered.
func (s *session) publish() {
	for _, layers := range byTrack(s.c.sources) {
		s.publishTrack(layers)
	}
	s.maybeOffer()
}

// publishTrack publishes one track: one source, or the encodings of a simulcast track (which
// pion puts in the offer as `a=rid:… send` lines and `a=simulcast:send q;h;f`). Every
// encoding starts active, as the protocol has it until the server's first `layers`.
func (s *session) publishTrack(layers []*source) {
	src := layers[0]
	s.send(publishMsg{Type: "publish", TrackID: src.track.ID(), Kind: src.kind,
		Source: src.source, Muted: false})
	tr, err := s.pc.AddTransceiverFromTrack(src.track,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		s.log.Error("add track", "track", src.track.ID(), slog.Any("err", err))
		return
	}
	sender := tr.Sender()
	for _, l := range layers[1:] {
		if err := sender.AddEncoding(l.track); err != nil {
			s.log.Error("add encoding", "track", l.track.ID(), "rid", l.rid, slog.Any("err", err))
		}
	}
	// CreateOffer gives our transceivers mids even when that offer is then dropped
	// unapplied in a glare, and pion numbers the server's mids from 0 too: a crossing
	// server offer with the same numeric mid would take our sender over as its
	// receiver. Our mids are never numeric.
	if err := tr.SetMid(src.mid); err != nil {
		s.log.Error("set mid", "track", src.track.ID(), slog.Any("err", err))
	}
	for _, l := range layers {
		l.setActive(true)
		s.spawn(func() { l.readRTCP(sender) })
	}
	s.needOffer = true
}

// onOffer applies a server offer. An offer of ours still in flight was ignored by the server
// (it is impolite): drop it, unapplied, and offer again afterwards.
func (s *session) onOffer(b []byte) {
	var m sdpMsg
	if err := json.Unmarshal(b, &m); err != nil {
		s.log.Warn("bad offer from server", slog.Any("err", err))
		return
	}
	announced := s.setMids(m.Tracks)
	if f := s.c.cfg.OnTrackAnnounced; f != nil {
		for _, t := range announced {
			f(t)
		}
	}
	if s.offerInFlight != nil {
		s.offerInFlight = nil
		s.needOffer = true
	}
	if err := s.answer(m.SDP); err != nil {
		s.log.Error("answer server offer", slog.Any("err", err))
		return
	}
	s.maybeOffer()
}

func (s *session) answer(sdp string) error {
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return fmt.Errorf("set remote offer: %w", err)
	}
	s.addPendingCandidates()
	ans, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("create answer: %w", err)
	}
	if err := s.pc.SetLocalDescription(ans); err != nil {
		return fmt.Errorf("set local answer: %w", err)
	}
	s.send(sdpMsg{Type: "answer", SDP: ans.SDP})
	return nil
}

// onAnswer applies our offer and the server's answer to it. An answer when no offer of ours
// is in flight is stale and dropped.
func (s *session) onAnswer(b []byte) {
	var m sdpMsg
	if err := json.Unmarshal(b, &m); err != nil {
		s.log.Warn("bad answer from server", slog.Any("err", err))
		return
	}
	offer := s.offerInFlight
	if offer == nil {
		s.log.Debug("dropping stale answer")
		return
	}
	s.offerInFlight = nil
	if err := s.pc.SetLocalDescription(*offer); err != nil {
		s.log.Error("set local offer", slog.Any("err", err))
		return
	}
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
		s.log.Error("set remote answer", slog.Any("err", err))
		return
	}
	s.addPendingCandidates()
	s.maybeOffer()
}

// maybeOffer sends an offer when something awaits negotiation and no offer is in flight.
func (s *session) maybeOffer() {
	if !s.needOffer || s.offerInFlight != nil || s.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	s.needOffer = false
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		s.log.Error("create offer", slog.Any("err", err))
		return
	}
	s.offerInFlight = &offer
	s.send(sdpMsg{Type: "offer", SDP: offer.SDP})
}

// onRemoteCandidate adds a server candidate, or keeps it until a remote description exists.
func (s *session) onRemoteCandidate(b []byte) {
	var m candidateMsg
	if err := json.Unmarshal(b, &m); err != nil {
		s.log.Warn("bad candidate from server", slog.Any("err", err))
		return
	}
	if m.Candidate == nil || m.Candidate.Candidate == "" {
		return // end of candidates: pion needs no signal for it
	}
	if s.pc.RemoteDescription() == nil {
		s.pendingCandidates = append(s.pendingCandidates, *m.Candidate)
		return
	}
	if err := s.pc.AddICECandidate(*m.Candidate); err != nil {
		s.log.Debug("add remote candidate", slog.Any("err", err))
	}
}

func (s *session) addPendingCandidates() {
	for _, c := range s.pendingCandidates {
		if err := s.pc.AddICECandidate(c); err != nil {
			s.log.Debug("add remote candidate", slog.Any("err", err))
		}
	}
	s.pendingCandidates = nil
}

// sendCandidate trickles one local candidate; nil ends our candidates.
func (s *session) sendCandidate(c *webrtc.ICECandidate) {
	if c == nil {
		s.send(candidateMsg{Type: "candidate"})
		return
	}
	init := c.ToJSON()
	s.send(candidateMsg{Type: "candidate", Candidate: &init})
}
