package sfu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/pion/webrtc/v4"
)

// admit turns a valid join into a running participant: rate limit,
// authorization, resume, lobby or room admission, welcome. It returns the
// participant whose goroutine now runs, or the knocker waiting in the
// lobby, or an error for the client.
func (s *SFU) admit(ctx context.Context, j joinMsg, sock *socket, ip netip.Addr, hdr http.Header) (
	*Participant, *knocker, error,
) {
	if !s.joins.allow(ip, time.Now()) {
		return nil, nil, fmt.Errorf("join from %s: %w", ip, ErrRateLimited)
	}
	grant, err := s.authorize(ctx, JoinRequest{Room: j.Room, Name: j.Name, Token: j.Token, Password: j.Password,
		RemoteAddr: ip, Header: hdr})
	if err != nil {
		return nil, nil, err
	}
	old := s.resumable(j)
	if j.Resume != "" && old == nil {
		sock.send(encode(errorOut{Type: "error", Code: "resume-failed",
			Message: "unknown or expired resume token; joined as a new participant"}))
	}
	// A locked room sends new non-moderator joins to the lobby; enter
	// checks again under the room's lock, in case it was locked since.
	if old == nil && !grant.Moderator && (grant.Lobby || s.roomState(j.Room).Locked) {
		k, err := s.knock(j, grant, sock, ip)
		return nil, k, err
	}
	id := newParticipantID()
	if old != nil {
		id = old.id
	}
	p, res, err := s.enter(j, id, old, sock, grant, false)
	if errors.Is(err, errRoomLocked) {
		k, err := s.knock(j, grant, sock, ip)
		return nil, k, err
	}
	if err != nil {
		return nil, nil, err
	}
	s.welcome(p, old, res)
	p.logger.Info("participant joined", "name_len", len(p.name), "user", grant.UserID, "resumed", old != nil,
		"role", res.self.Role, "remote_addr", ip.String())
	return p, nil, nil
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
func (s *SFU) enter(j joinMsg, id string, old *Participant, sock *socket, g Grant, viaLobby bool) (
	*Participant, joinResult, error,
) {
	// Outside the lock: a PeerConnection makes its DTLS certificate.
	p, err := newParticipant(s, j.Room, id, j.Name, sock, g)
	if err != nil {
		return nil, joinResult{}, fmt.Errorf("new peer connection: %w", err)
	}
	if old != nil {
		p.joinedAt = old.joinedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = p.pc.GracefulClose()
		return nil, joinResult{}, ErrClosed
	}
	r := s.roomLocked(j.Room)
	r.open(g)
	p.room = r
	res, err := r.join(p, old, s.roomLimit(g), viaLobby)
	if err != nil {
		_ = p.pc.GracefulClose()
		s.dropRoomLocked(r, r.isEmpty())
		return nil, joinResult{}, err
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

// welcome sends the welcome (and, to a moderator, the lobby), then tells
// the room, then lets p's goroutine go on (its first offer must follow the
// welcome).
func (s *SFU) welcome(p, old *Participant, res joinResult) {
	ice := []webrtc.ICEServer{}
	if s.cfg.ICEServers != nil {
		ice = s.cfg.ICEServers(p.id)
	}
	roster := res.roster
	if roster == nil {
		roster = []ParticipantInfo{}
	}
	first := [][]byte{encode(welcomeOut{Type: "welcome", V: protocolVersion, ParticipantID: p.id,
		Index: int(p.index), ResumeToken: p.token, Resumed: old != nil, ICEServers: ice, Participants: roster,
		Limits: limitsJSON{MaxParticipants: res.limit, MaxTracks: s.cfg.MaxTracksPerParticipant,
			MaxMessageBytes: s.cfg.MaxMessageBytes}, Room: res.state, Self: res.self, Features: features()})}
	for _, k := range res.knocks {
		first = append(first, encode(knockOut{Type: "knock", Participant: k}))
	}
	if res.speakers != nil {
		first = append(first, encode(*res.speakers))
	}
	p.sendFirst(first...)
	kind := "participant-joined"
	if old != nil {
		kind = "participant-updated"
		tellUnpublished(res.others, res.replaced)
		old.takeover()
	}
	msg := encode(participantOut{Type: kind, Participant: res.self})
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
	s.dropRoomLocked(p.room, empty)
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
