package sfu

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/webrtc/v4"
)

// admit turns a valid join into a running participant: rate limit,
// authorization, resume, room admission, welcome. It returns the
// participant whose goroutine now runs, or an error for the client.
func (s *SFU) admit(ctx context.Context, j joinMsg, sock *socket, ip netip.Addr) (*Participant, error) {
	if !s.joins.allow(ip, time.Now()) {
		return nil, fmt.Errorf("join from %s: %w", ip, ErrRateLimited)
	}
	grant, err := s.authorize(ctx, j)
	if err != nil {
		return nil, err
	}
	old := s.resumable(j)
	if j.Resume != "" && old == nil {
		sock.send(encode(errorOut{Type: "error", Code: "resume-failed",
			Message: "unknown or expired resume token; joined as a new participant"}))
	}
	id := newParticipantID()
	if old != nil {
		id = old.id
	}
	p, res, err := s.enter(j, id, old, sock)
	if err != nil {
		return nil, err
	}
	s.welcome(p, old, res)
	p.logger.Info("participant joined", "name_len", len(p.name), "user", grant.UserID, "resumed", old != nil,
		"remote_addr", ip.String())
	return p, nil
}

// authorize asks the Authorizer, if any.
func (s *SFU) authorize(ctx context.Context, j joinMsg) (Grant, error) {
	if s.cfg.Authorizer == nil {
		return Grant{}, nil
	}
	g, err := s.cfg.Authorizer.Authorize(ctx, j.Room, j.Token)
	if err != nil {
		if errors.Is(err, ErrNotAuthorized) {
			return Grant{}, fmt.Errorf("join room %s: %w", j.Room, err)
		}
		return Grant{}, fmt.Errorf("authorize join to room %s: %w", j.Room, err)
	}
	return g, nil
}

// resumable returns the participant a resume token names, if it is still in
// the room the join names. The token is used up either way.
func (s *SFU) resumable(j joinMsg) *Participant {
	if j.Resume == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.tokens[j.Resume]
	delete(s.tokens, j.Resume)
	if p == nil || p.room.name != j.Room {
		return nil
	}
	return p
}

// enter creates the participant, adds it to its room and starts its
// goroutine, all under s.mu, so that Close either sees a running
// participant or refuses the join.
func (s *SFU) enter(j joinMsg, id string, old *Participant, sock *socket) (*Participant, joinResult, error) {
	// Outside the lock: a PeerConnection makes its DTLS certificate.
	p, err := newParticipant(s, j.Room, id, j.Name, sock)
	if err != nil {
		return nil, joinResult{}, fmt.Errorf("new peer connection: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = p.pc.GracefulClose()
		return nil, joinResult{}, ErrClosed
	}
	r := s.rooms[j.Room]
	if r == nil {
		r = newRoom(j.Room, s.cfg.MaxParticipants)
	}
	p.room = r
	res, err := r.join(p, old)
	if err != nil {
		_ = p.pc.GracefulClose()
		return nil, joinResult{}, err
	}
	if s.rooms[j.Room] == nil {
		s.rooms[j.Room] = r
		s.metrics.rooms.Inc()
	}
	p.token = randomID(20)
	s.tokens[p.token] = p
	s.metrics.participants.Inc()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		p.run()
	}()
	return p, res, nil
}

// welcome sends the welcome, then tells the room, then lets p's goroutine
// go on (its first offer must follow the welcome).
func (s *SFU) welcome(p, old *Participant, res joinResult) {
	ice := []webrtc.ICEServer{}
	if s.cfg.ICEServers != nil {
		ice = s.cfg.ICEServers(p.id)
	}
	roster := res.roster
	if roster == nil {
		roster = []ParticipantInfo{}
	}
	p.send(encode(welcomeOut{Type: "welcome", V: protocolVersion, ParticipantID: p.id, Index: int(p.index),
		ResumeToken: p.token,
		Resumed:     old != nil, ICEServers: ice, Participants: roster,
		Limits: limitsJSON{MaxParticipants: s.cfg.MaxParticipants, MaxTracks: s.cfg.MaxTracksPerParticipant,
			MaxMessageBytes: s.cfg.MaxMessageBytes}}))
	info := p.baseInfo()
	kind := "participant-joined"
	if old != nil {
		kind = "participant-updated"
		tellUnpublished(res.others, res.replaced)
		old.takeover()
	}
	msg := encode(participantOut{Type: kind, Participant: info})
	for _, m := range res.others {
		m.send(msg)
	}
	for _, u := range res.tracks {
		p.post(subscribeEvent{up: u})
	}
	close(p.welcomed)
}

// leaveRoom removes p from its room, drops the room when it is empty and
// tells the others.
func (s *SFU) leaveRoom(p *Participant, reason string) {
	s.mu.Lock()
	others, ended, left, empty := p.room.leave(p)
	if empty && s.rooms[p.room.name] == p.room {
		delete(s.rooms, p.room.name)
		s.metrics.rooms.Dec()
	}
	s.mu.Unlock()
	if !left {
		return
	}
	tellUnpublished(others, ended)
	msg := encode(participantLeftOut{Type: "participant-left", ParticipantID: p.id, Reason: reason})
	for _, m := range others {
		m.send(msg)
	}
}

// forgetToken invalidates p's resume token.
func (s *SFU) forgetToken(p *Participant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens[p.token] == p {
		delete(s.tokens, p.token)
	}
}
