package sfu

import (
	"cmp"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// Room is one meeting: its participants and the tracks they publish. Its
// methods are called by participant goroutines; each takes the lock only to
// change or snapshot the maps, and notifies other participants after
// unlocking (a send or a post never blocks).
type Room struct {
	name string

	mu        sync.Mutex
	members   map[string]*Participant // by participant ID
	published map[string][]*UpTrack   // by participant ID
	knockers  map[string]*knocker     // the lobby, by participant ID (lobby.go)
	state     RoomState               // locked, school mode (school.go)
	opened    bool                    // the first grant has set state
	speakers  speakerState            // active speakers (speaker.go)
}

func newRoom(name string) *Room {
	return &Room{name: name, members: map[string]*Participant{}, published: map[string][]*UpTrack{},
		knockers: map[string]*knocker{}}
}

// Name is the room's name.
func (r *Room) Name() string { return r.name }

// joinResult is what a new member needs to know and what others must be
// told, snapshotted under the lock.
type joinResult struct {
	others   []*Participant
	roster   []ParticipantInfo // everyone else, for the welcome
	tracks   []*UpTrack        // to subscribe to
	replaced []*UpTrack        // the resumed session's tracks, now ended
	knocks   []knockInfo       // the lobby, when p is a moderator
	limit    int               // the room size limit of this join
	state    RoomState         // the room's state, for the welcome
	self     ParticipantInfo   // p's own participant object
	speakers *speakersOut      // who speaks now, if anyone (speaker.go)
}

// join adds p, unless the room already holds limit members, or is locked
// and p is a new non-moderator join that no moderator admitted (viaLobby).
// When old is the current member with p's ID (a resume), p replaces it
// without counting against the limit, and old's tracks end. Callers hold the SFU's lock, so
// an emptied room cannot be joined after it was dropped.
func (r *Room) join(p, old *Participant, limit int, viaLobby bool) (joinResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := joinResult{limit: limit}
	if old != nil && r.members[old.id] == old {
		res.replaced = r.published[old.id]
		delete(r.published, old.id)
		p.index = old.index // the E2EE sender index survives a resume
		// So do a promotion and what moderators allowed.
		p.moderator, p.mayUnmute, p.mayShare = p.moderator || old.moderator, old.mayUnmute, old.mayShare
	} else if r.state.Locked && !p.moderator && !viaLobby {
		return res, errRoomLocked
	} else if len(r.members) >= limit {
		return res, ErrRoomFull
	} else if p.index = r.freeIndexLocked(); p.index == 0 {
		return res, ErrRoomFull
	}
	for id, m := range r.members {
		if id == p.id {
			continue
		}
		res.others = append(res.others, m)
		res.roster = append(res.roster, r.infoLocked(m))
		res.tracks = append(res.tracks, r.published[id]...)
	}
	if p.moderator {
		res.knocks = r.lobbyLocked()
	}
	r.members[p.id] = p
	res.state, res.self, res.speakers = r.state, r.infoLocked(p), r.speakersLocked()
	return res, nil
}

// freeIndexLocked is the lowest sender index (1-255) no member holds, or
// 0 when all are taken. Indexes are the sender field of E2EE key IDs
// (docs/e2ee.md): unique among current members, reused after a leave.
func (r *Room) freeIndexLocked() uint8 {
	var used [MaxSenderIndex + 1]bool
	for _, m := range r.members {
		used[m.index] = true
	}
	for i := 1; i <= MaxSenderIndex; i++ {
		if !used[i] {
			return uint8(i)
		}
	}
	return 0
}

// leave removes p if it is still the member with its ID, and reports the
// tracks that ended with it and whether the room is now empty.
func (r *Room) leave(p *Participant) (others []*Participant, ended []*UpTrack, left, empty bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members[p.id] != p {
		return nil, nil, false, r.emptyLocked()
	}
	delete(r.members, p.id)
	ended = r.published[p.id]
	delete(r.published, p.id)
	return r.othersLocked(p), ended, true, r.emptyLocked()
}

// isEmpty: no members and nobody in the lobby.
func (r *Room) isEmpty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.emptyLocked()
}

// emptyLocked: no members and nobody in the lobby; the SFU drops the room.
func (r *Room) emptyLocked() bool { return len(r.members) == 0 && len(r.knockers) == 0 }

// member returns the member with ID id, or nil.
func (r *Room) member(id string) *Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.members[id]
}

// publish adds u to p's tracks and subscribes everyone else to it.
func (r *Room) publish(p *Participant, u *UpTrack) {
	r.mu.Lock()
	if r.members[p.id] != p {
		r.mu.Unlock()
		return
	}
	r.published[p.id] = append(r.published[p.id], u)
	others := r.othersLocked(p)
	if u.info.Source == "microphone" {
		r.startSpeakersLocked(p.sfu)
	}
	r.mu.Unlock()
	msg := encode(trackPublishedOut{Type: "track-published", ParticipantID: p.id, Track: u.Info()})
	for _, m := range others {
		m.send(msg)
		m.post(subscribeEvent{up: u})
	}
}

// unpublish ends u: everyone else is told and unsubscribed.
func (r *Room) unpublish(p *Participant, u *UpTrack) {
	r.mu.Lock()
	tracks := r.published[p.id]
	i := slices.Index(tracks, u)
	if r.members[p.id] != p || i < 0 {
		r.mu.Unlock()
		return
	}
	r.published[p.id] = slices.Delete(slices.Clone(tracks), i, i+1)
	others := r.othersLocked(p)
	r.mu.Unlock()
	tellUnpublished(others, []*UpTrack{u})
}

// tellUnpublished tells members that tracks ended and unsubscribes them.
func tellUnpublished(members []*Participant, tracks []*UpTrack) {
	for _, u := range tracks {
		msg := encode(trackUnpublishedOut{Type: "track-unpublished", ParticipantID: u.participantID,
			TrackID: u.info.TrackID})
		for _, m := range members {
			m.send(msg)
			m.post(unsubscribeEvent{up: u})
		}
	}
}

// broadcast sends msg to every member but p.
func (r *Room) broadcast(p *Participant, msg []byte) {
	r.mu.Lock()
	others := r.othersLocked(p)
	r.mu.Unlock()
	for _, m := range others {
		m.send(msg)
	}
}

// relay passes data from p to one member (to) or to all others (to == "").
// The data is not read. A relay to someone who is not here is dropped.
func (r *Room) relay(p *Participant, to string, data json.RawMessage) {
	msg := encode(relayOut{Type: "relay", From: p.id, Data: data})
	if to == "" {
		r.broadcast(p, msg)
		return
	}
	r.mu.Lock()
	m := r.members[to]
	r.mu.Unlock()
	if m != nil && m != p {
		m.send(msg)
	}
}

// info snapshots the room for the dashboard.
func (r *Room) info(now time.Time) RoomInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	ri := RoomInfo{Name: r.name, RoomState: r.state, Participants: make([]ParticipantStatus, 0, len(r.members)),
		Lobby: make([]LobbyInfo, 0, len(r.knockers))}
	for _, m := range r.members {
		ri.Participants = append(ri.Participants, m.status(r.infoLocked(m), now))
	}
	slices.SortFunc(ri.Participants, func(a, b ParticipantStatus) int { return cmp.Compare(a.ID, b.ID) })
	for _, k := range r.knockers {
		ri.Lobby = append(ri.Lobby, LobbyInfo{ID: k.id, Name: k.name, Since: k.since})
	}
	slices.SortFunc(ri.Lobby, func(a, b LobbyInfo) int { return a.Since.Compare(b.Since) })
	return ri
}

// participantInfo snapshots one member.
func (r *Room) participantInfo(p *Participant) ParticipantInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infoLocked(p)
}

func (r *Room) infoLocked(p *Participant) ParticipantInfo {
	info := p.baseInfo()
	info.CanUnmute, info.CanShare = r.canUnmuteLocked(p), r.canShareLocked(p)
	for _, u := range r.published[p.id] {
		info.Tracks = append(info.Tracks, u.Info())
	}
	return info
}

func (r *Room) othersLocked(p *Participant) []*Participant {
	others := make([]*Participant, 0, len(r.members))
	for id, m := range r.members {
		if id != p.id {
			others = append(others, m)
		}
	}
	return others
}

// allMembers snapshots every member (for shutdown).
func (r *Room) allMembers() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Participant, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m)
	}
	return out
}
