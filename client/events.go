package client

import (
	"encoding/json"
	"log/slog"
)

// onRelay hands a `relay` message to the E2EE key protocol, or else to Config.OnRelay.
func (c *Client) onRelay(b []byte) {
	var m relayMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.log.Warn("bad relay from server", slog.Any("err", err))
		return
	}
	if c.ring != nil {
		out, chats, ok := c.ring.handle(m.From, m.Data)
		c.send(out)
		for _, ch := range chats {
			if c.cfg.OnChat != nil {
				c.cfg.OnChat(ch)
			}
		}
		if ok {
			return
		}
	}
	if c.cfg.OnRelay != nil {
		c.cfg.OnRelay(m.From, m.Data)
	}
}

// onRoomEvent keeps the roster up to date with one room event.
func (c *Client) onRoomEvent(typ string, b []byte) {
	var m roomEventMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.log.Warn("bad room event from server", "type", typ, slog.Any("err", err))
		return
	}
	if c.ring != nil {
		switch typ {
		case "participant-joined":
			if m.Participant != nil {
				c.send(c.ring.joined(m.Participant.ID))
			}
		case "participant-left":
			c.ring.left(m.ParticipantID)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch typ {
	case "participant-joined", "participant-updated":
		// The server also tells us of changes to ourselves (a promotion, school-mode
		// permissions); the roster holds the others only.
		if m.Participant != nil && m.Participant.ID != c.participantID {
			c.roster[m.Participant.ID] = *m.Participant
		}
	case "participant-left":
		delete(c.roster, m.ParticipantID)
	case "track-published":
		if p, ok := c.roster[m.ParticipantID]; ok && m.Track != nil {
			p.Tracks = append(withoutTrack(p.Tracks, m.Track.TrackID), *m.Track)
			c.roster[p.ID] = p
		}
	case "track-unpublished":
		if p, ok := c.roster[m.ParticipantID]; ok {
			p.Tracks = withoutTrack(p.Tracks, m.TrackID)
			c.roster[p.ID] = p
		}
	case "mute":
		c.setMutedLocked(m.ParticipantID, m.TrackID, m.Muted)
	}
}

func (c *Client) setMutedLocked(participantID, trackID string, muted bool) {
	p, ok := c.roster[participantID]
	if !ok {
		return
	}
	tracks := make([]TrackInfo, len(p.Tracks))
	copy(tracks, p.Tracks)
	for i := range tracks {
		if tracks[i].TrackID == trackID {
			tracks[i].Muted = muted
		}
	}
	p.Tracks = tracks
	c.roster[participantID] = p
}

// withoutTrack returns a new slice of tracks without trackID (never aliasing the input, which
// Participants may have handed out).
func withoutTrack(tracks []TrackInfo, trackID string) []TrackInfo {
	out := make([]TrackInfo, 0, len(tracks))
	for _, t := range tracks {
		if t.TrackID != trackID {
			out = append(out, t)
		}
	}
	return out
}
