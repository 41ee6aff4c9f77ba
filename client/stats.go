package client

import (
	"conclave/sframe"

	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TrackStats counts what arrived on one remote track (or, from Received, on all tracks of one
// kind from one participant).
type TrackStats struct {
	ParticipantID string
	TrackID       string
	Kind          string
	Source        string
	Packets       uint64
	Bytes         uint64    // RTP payload bytes
	FirstPacket   time.Time // zero until a packet arrives
	LastSeq       uint16    // sequence number of the latest packet
	// Expected is how many packets the sequence numbers seen span, from the
	// first to the highest (with wraparound): Packets/Expected is the
	// delivery ratio.
	Expected uint64
	Ended    bool // the track ended (see Config.OnTrackEnded)

	// With E2EE on (Config.Secret): Frames is the complete frames reassembled from the
	// packets, Decrypted those that decrypted (the only ones a decoder would get),
	// DecryptFailures those that failed authentication or were malformed, Replayed those
	// whose counter had already been accepted (a frame delivered twice: a retransmission
	// of packets that were late, not lost), and KeyMissing those dropped because no key
	// for their KID arrived within 500 ms.
	Frames, Decrypted, DecryptFailures, Replayed, KeyMissing uint64

	// Video only: Width and Height are the picture size of the latest key frame received
	// (read after decryption with E2EE; 0 until one arrives), KeyFrames how many key frames
	// arrived whole. A subscriber to a simulcast video sees from them which encoding the
	// server sends it.
	Width, Height int
	KeyFrames     uint64
}

// Stats is a snapshot of a client's counters.
type Stats struct {
	Remote      []TrackStats // one per remote track, sorted by participant, kind, track ID
	Packets     uint64       // received on all remote tracks
	Bytes       uint64       // received payload bytes on all remote tracks
	SentPackets uint64       // sent by this client's sources
	SentBytes   uint64       // payload bytes sent
	// Decrypted, DecryptFailures and KeyMissing add up the remote tracks' (E2EE only).
	Decrypted, DecryptFailures, Replayed, KeyMissing uint64
	// JoinLatency is the time from the Join call to the first RTP packet from any remote
	// track; zero until one arrives.
	JoinLatency time.Duration
}

// recvCounter counts one remote track. Its reader goroutine writes it; Stats reads it.
type recvCounter struct {
	info    RemoteTrack
	packets atomic.Uint64
	bytes   atomic.Uint64
	first   atomic.Int64 // unix nanoseconds of the first packet, 0 before it
	lastSeq atomic.Uint32
	// firstExt and highExt are extended (wrap-counting) sequence numbers;
	// only the track's reader goroutine writes them.
	firstExt, highExt atomic.Uint64
	ended             atomic.Bool

	frames, decrypted, failures, replayed, keyMissing atomic.Uint64
	keyFrames                                         atomic.Uint64
	size                                              atomic.Uint32 // width<<16 | height of the latest key frame
}

// frame looks at one whole (decrypted) video frame: a key frame sets the picture size.
func (r *recvCounter) frame(f []byte) {
	if w, h, ok := sframe.VP8KeyFrameSize(f); ok {
		r.size.Store(uint32(w)<<16 | uint32(h))
		r.keyFrames.Add(1)
	}
}

// add counts one packet received at now.
func (r *recvCounter) add(now time.Time, seq uint16, payload int) {
	if r.first.CompareAndSwap(0, now.UnixNano()) {
		// Start one cycle up so that a late packet just before the first
		// cannot go below zero.
		r.firstExt.Store(1<<16 + uint64(seq))
		r.highExt.Store(1<<16 + uint64(seq))
	} else if d := int16(seq - uint16(r.highExt.Load())); d > 0 {
		r.highExt.Add(uint64(d))
	}
	r.packets.Add(1)
	r.bytes.Add(uint64(payload))
	r.lastSeq.Store(uint32(seq))
}

func (r *recvCounter) snapshot() TrackStats {
	s := TrackStats{
		ParticipantID: r.info.ParticipantID, TrackID: r.info.TrackID,
		Kind: r.info.Kind, Source: r.info.Source,
		Packets: r.packets.Load(), Bytes: r.bytes.Load(),
		LastSeq: uint16(r.lastSeq.Load()), Ended: r.ended.Load(),
		Frames: r.frames.Load(), Decrypted: r.decrypted.Load(),
		DecryptFailures: r.failures.Load(), Replayed: r.replayed.Load(), KeyMissing: r.keyMissing.Load(),
		KeyFrames: r.keyFrames.Load(),
	}
	size := r.size.Load()
	s.Width, s.Height = int(size>>16), int(size&0xffff)
	if s.Packets > 0 {
		s.Expected = r.highExt.Load() - r.firstExt.Load() + 1
	}
	if ns := r.first.Load(); ns != 0 {
		s.FirstPacket = time.Unix(0, ns)
	}
	return s
}

// recvStats holds one counter per remote track for the whole life of a client, across
// resumed sessions, so counts add up.
type recvStats struct {
	joinStart time.Time
	firstAt   atomic.Int64 // unix nanoseconds of the first remote packet

	mu       sync.Mutex
	counters map[string]*recvCounter // by participant ID + "/" + track ID
}

func newRecvStats(joinStart time.Time) *recvStats {
	return &recvStats{joinStart: joinStart, counters: make(map[string]*recvCounter)}
}

// counter returns the counter of a remote track, creating it on first use; a track received
// again after a resume is counted on, with Ended cleared.
func (s *recvStats) counter(t RemoteTrack) *recvCounter {
	key := t.ParticipantID + "/" + t.TrackID
	if t.TrackID == "" {
		key += t.Mid // a track the server did not describe: keep it apart per mid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.counters[key]
	if !ok {
		c = &recvCounter{info: t}
		s.counters[key] = c
	}
	c.ended.Store(false)
	return c
}

// packet counts one packet on c and notes the first remote packet of the client.
func (s *recvStats) packet(c *recvCounter, now time.Time, seq uint16, payload int) {
	c.add(now, seq, payload)
	s.firstAt.CompareAndSwap(0, now.UnixNano())
}

// snapshot returns the per-track stats, sorted, and the received totals.
func (s *recvStats) snapshot() Stats {
	s.mu.Lock()
	out := Stats{Remote: make([]TrackStats, 0, len(s.counters))}
	for _, c := range s.counters {
		out.Remote = append(out.Remote, c.snapshot())
	}
	s.mu.Unlock()
	slices.SortFunc(out.Remote, func(a, b TrackStats) int {
		return strings.Compare(a.ParticipantID+"\x00"+a.Kind+"\x00"+a.TrackID,
			b.ParticipantID+"\x00"+b.Kind+"\x00"+b.TrackID)
	})
	for _, t := range out.Remote {
		out.Packets += t.Packets
		out.Bytes += t.Bytes
		out.Decrypted += t.Decrypted
		out.DecryptFailures += t.DecryptFailures
		out.Replayed += t.Replayed
		out.KeyMissing += t.KeyMissing
	}
	if ns := s.firstAt.Load(); ns != 0 {
		out.JoinLatency = time.Unix(0, ns).Sub(s.joinStart)
	}
	return out
}

// sum adds up the tracks of one kind from one participant: FirstPacket is the earliest,
// LastSeq, TrackID, Width and Height those of the last track in sort order, Ended true only
// if all ended.
func sum(tracks []TrackStats, participantID, kind string) TrackStats {
	out := TrackStats{ParticipantID: participantID, Kind: kind}
	found := false
	for _, t := range tracks {
		if t.ParticipantID != participantID || t.Kind != kind {
			continue
		}
		out.Packets += t.Packets
		out.Bytes += t.Bytes
		out.Expected += t.Expected
		out.Frames += t.Frames
		out.Decrypted += t.Decrypted
		out.DecryptFailures += t.DecryptFailures
		out.Replayed += t.Replayed
		out.KeyMissing += t.KeyMissing
		out.KeyFrames += t.KeyFrames
		if !t.FirstPacket.IsZero() && (out.FirstPacket.IsZero() || t.FirstPacket.Before(out.FirstPacket)) {
			out.FirstPacket = t.FirstPacket
		}
		out.TrackID, out.Source, out.LastSeq = t.TrackID, t.Source, t.LastSeq
		out.Width, out.Height = t.Width, t.Height
		out.Ended = t.Ended && (out.Ended || !found)
		found = true
	}
	return out
}
