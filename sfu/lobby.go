package sfu

import (
	"errors"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The lobby (docs/protocol.md): a join whose Grant says Lobby waits on its
// socket, outside the room (no welcome, roster, media or relay), until a
// moderator admits or denies it, it leaves, LobbyTimeout passes or the SFU
// closes. One waiter goroutine per knocker (waitLobby) owns the decision;
// the socket's handler goroutine keeps reading, so that a leave or a lost
// socket is noticed, and feeds the participant once admitted.

// knocker is a join waiting in a room's lobby.
type knocker struct {
	id, name string // the participant ID it will have, and its name
	join     joinMsg
	grant    Grant
	sock     *socket
	ip       netip.Addr
	room     *Room
	since    time.Time
	byLock   bool          // waits only because the room is locked
	verdict  chan error    // one decision: nil admits, else the fatal error
	goneCh   chan struct{} // closed when the socket ended while waiting

	mu   sync.Mutex
	p    *Participant // set once admitted
	gone bool
}

// participant is the admitted participant, or nil while waiting.
func (k *knocker) participant() *Participant {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.p
}

// socketEnded records that the socket's reader stopped. It returns the
// participant when the knocker was admitted already; otherwise the waiter
// gives up.
func (k *knocker) socketEnded() *Participant {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p == nil && !k.gone {
		k.gone = true
		close(k.goneCh)
	}
	return k.p
}

// knock puts a join in its room's lobby, tells the room's moderators and
// starts the waiter.
func (s *SFU) knock(j joinMsg, g Grant, sock *socket, ip netip.Addr) (*knocker, error) {
	k := &knocker{id: newParticipantID(), name: j.Name, join: j, grant: g, sock: sock, ip: ip, since: time.Now(),
		byLock: !g.Lobby, verdict: make(chan error, 1), goneCh: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	k.room = s.roomLocked(j.Room)
	k.room.open(g)
	k.room.mu.Lock()
	k.room.knockers[k.id] = k
	mods := k.room.moderatorsLocked()
	k.room.mu.Unlock()
	s.wg.Add(1) // under s.mu: Close has not started waiting
	s.mu.Unlock()
	sock.send(encode(typeOut{Type: "lobby"}))
	msg := encode(knockOut{Type: "knock", Participant: knockInfo{ID: k.id, Name: k.name}})
	for _, m := range mods {
		m.send(msg)
	}
	s.logger.Info("join waits in the lobby", "room", j.Room, "participant", k.id, "user", g.UserID)
	go func() {
		defer s.wg.Done()
		s.waitLobby(k)
	}()
	return k, nil
}

// waitLobby is the knocker's goroutine: it waits for the decision and
// carries it out.
func (s *SFU) waitLobby(k *knocker) {
	t := time.NewTimer(s.cfg.LobbyTimeout)
	defer t.Stop()
	var err error
	select {
	case err = <-k.verdict:
		if err == nil {
			s.admitKnocker(k)
			return
		}
	case <-t.C:
		err = ErrLobbyTimeout
	case <-k.goneCh:
	case <-s.shutdown:
		err = ErrClosed
	}
	s.unknock(k)
	s.dismiss(k, err)
}

// dismiss ends a knocker's socket with err (nil: it is gone already).
func (s *SFU) dismiss(k *knocker, err error) {
	switch {
	case err == nil:
		return
	case errors.Is(err, ErrClosed):
		k.sock.close(websocket.StatusGoingAway, "shutdown")
		return
	}
	code := errorCode(err)
	s.metrics.joinsRefused.WithLabelValues(code).Inc()
	s.logger.Info("lobby join ended", "room", k.join.Room, "participant", k.id, "code", code)
	k.sock.send(encode(errorOut{Type: "error", Code: code, Message: publicMessage(err), Fatal: true}))
	status := websocket.StatusPolicyViolation
	if errors.Is(err, ErrRoomEnded) {
		status = websocket.StatusNormalClosure
	}
	k.sock.close(status, code)
}

// admitKnocker turns an admitted knocker into a participant: the normal
// welcome follows.
func (s *SFU) admitKnocker(k *knocker) {
	k.mu.Lock()
	gone := k.gone
	k.mu.Unlock()
	if gone {
		s.dropIfEmpty(k.room)
		return
	}
	p, res, err := s.enter(k.join, k.id, nil, k.sock, k.grant, true)
	if err != nil {
		s.dropIfEmpty(k.room)
		if !errors.Is(err, ErrRoomFull) && !errors.Is(err, ErrClosed) {
			s.logger.Error("admit from the lobby", slog.Any("err", err))
		}
		s.dismiss(k, err)
		return
	}
	k.mu.Lock()
	gone = k.gone
	if !gone {
		k.p = p
	}
	k.mu.Unlock()
	s.welcome(p, nil, res)
	p.logger.Info("participant admitted from the lobby", "user", k.grant.UserID, "remote_addr", k.ip.String())
	if gone {
		p.post(socketEvent{sock: k.sock, left: true})
	}
}

// decide takes a knocker out of room's lobby and hands it verdict (nil
// admits). The room's moderators are told the knock ended.
func (s *SFU) decide(room, id string, verdict error) error {
	r := s.room(room)
	if r == nil {
		return ErrRoomNotFound
	}
	r.mu.Lock()
	k := r.knockers[id]
	delete(r.knockers, id)
	mods := r.moderatorsLocked()
	r.mu.Unlock()
	if k == nil {
		return ErrParticipantNotFound
	}
	// knock-ended first, so that moderators see it before the admitted
	// one's participant-joined.
	tellKnockEnded(mods, id)
	k.verdict <- verdict // buffered; only the one who removed k sends
	return nil
}

// unknock takes k out of its lobby if it is still there, tells the
// moderators and drops the room when that emptied it.
func (s *SFU) unknock(k *knocker) {
	r := k.room
	s.mu.Lock()
	r.mu.Lock()
	_, there := r.knockers[k.id]
	delete(r.knockers, k.id)
	mods := r.moderatorsLocked()
	empty := r.emptyLocked()
	r.mu.Unlock()
	s.dropRoomLocked(r, empty)
	s.mu.Unlock()
	if there {
		tellKnockEnded(mods, k.id)
	}
}

func tellKnockEnded(mods []*Participant, id string) {
	msg := encode(knockEndedOut{Type: "knock-ended", ParticipantID: id})
	for _, m := range mods {
		m.send(msg)
	}
}

// lobbyLocked lists the knockers, for a moderator that joins.
func (r *Room) lobbyLocked() []knockInfo {
	ks := slices.SortedFunc(maps.Values(r.knockers), func(a, b *knocker) int { return a.since.Compare(b.since) })
	out := make([]knockInfo, 0, len(ks))
	for _, k := range ks {
		out = append(out, knockInfo{ID: k.id, Name: k.name})
	}
	return out
}

// moderatorsLocked lists the members who moderate.
func (r *Room) moderatorsLocked() []*Participant {
	var out []*Participant
	for _, m := range r.members {
		if m.moderator {
			out = append(out, m)
		}
	}
	return out
}
