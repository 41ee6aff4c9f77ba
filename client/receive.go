package client

import (
	"maps"
	"slices"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// receiveBufferSize holds any RTP packet pion delivers (its receive MTU is 1460).
const receiveBufferSize = 1500

// setMids records which track each server-sent mid carries, from the `tracks` field of a
// server offer, and returns the tracks it announces for the first time on this session
// (sorted by mid). Mids the offer leaves out keep their last mapping: their transceivers are
// either unchanged or stopped.
func (s *session) setMids(tracks map[string]RemoteTrack) []RemoteTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh []RemoteTrack
	for _, mid := range slices.Sorted(maps.Keys(tracks)) {
		t := tracks[mid]
		t.Mid = mid
		if old, ok := s.mids[mid]; !ok || old.ParticipantID != t.ParticipantID || old.TrackID != t.TrackID {
			fresh = append(fresh, t)
		}
		s.mids[mid] = t
	}
	return fresh
}

// onTrack is pion's OnTrack callback: it maps the track by its transceiver's mid and hands
// it to a reader goroutine of the session.
func (s *session) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	mid := ""
	for _, tr := range s.pc.GetTransceivers() {
		if tr.Receiver() == r {
			mid = tr.Mid()
			break
		}
	}
	s.mu.Lock()
	info, ok := s.mids[mid]
	s.mu.Unlock()
	if !ok {
		s.log.Warn("remote track on a mid the server did not describe", "mid", mid)
		info = RemoteTrack{Mid: mid}
	}
	if info.Kind == "" {
		info.Kind = t.Kind().String()
	}
	s.spawn(func() { s.readTrack(t, info) })
}

// readTrack counts the packets of one remote track until it ends.
func (s *session) readTrack(t *webrtc.TrackRemote, info RemoteTrack) {
	stats := s.c.stats
	ctr := stats.counter(info)
	cfg := &s.c.cfg
	if cfg.OnTrack != nil {
		cfg.OnTrack(info)
	}
	var (
		dec   *trackDecryptor
		clear *assembler // video without E2EE: frames are read in clear for their size
	)
	switch {
	case s.c.ring != nil:
		dec = newTrackDecryptor(s, t, info, ctr)
	case info.Kind == kindVideo:
		clear = &assembler{vp8: true}
	}
	buf := make([]byte, receiveBufferSize)
	var pkt rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			break // io.EOF when the server stops the track or the connection closes
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		now := time.Now()
		stats.packet(ctr, now, pkt.SequenceNumber, len(pkt.Payload))
		if cfg.OnRTP != nil {
			cfg.OnRTP(info, &pkt)
		}
		if dec != nil {
			dec.packet(&pkt, now)
		}
		if clear != nil {
			if f, ok := clear.push(&pkt); ok {
				ctr.frame(f)
			}
		}
	}
	ctr.ended.Store(true)
	s.log.Debug("remote track ended", "from", info.ParticipantID, "track", info.TrackID,
		"kind", info.Kind, "packets", ctr.packets.Load())
	if cfg.OnTrackEnded != nil {
		cfg.OnTrackEnded(info)
	}
}
