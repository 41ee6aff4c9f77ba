package sfu

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// SFU is the selective forwarding unit: it serves the signalling endpoint
// (Handler), keeps the rooms and forwards media. Build it with New; Close
// it once. Methods are safe for concurrent use.
type SFU struct {
	cfg      Config
	logger   *slog.Logger
	api      *webrtc.API
	muxes    []io.Closer
	metrics  *metrics
	joins    *ipLimiter
	epoch    time.Time
	ctx      context.Context // cancelled by Close: pending joins give up
	cancel   context.CancelFunc
	shutdown chan struct{} // closed by Close: participants leave

	closeOnce sync.Once
	wg        sync.WaitGroup // socket handlers and participant goroutines

	mu     sync.Mutex
	closed bool
	rooms  map[string]*Room
	tokens map[string]*Participant // resume token -> participant
}

// New validates cfg, fills in defaults and builds the SFU. From a
// successful New on, the SFU owns cfg.UDPConn and cfg.TCPListener.
func New(cfg Config) (*SFU, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("register sfu metrics: %w", err)
	}
	api, muxes, err := newAPI(cfg)
	if err != nil {
		return nil, fmt.Errorf("build webrtc api: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &SFU{cfg: cfg, logger: cfg.Logger.With("component", "sfu"), api: api, muxes: muxes,
		metrics: m, joins: newIPLimiter(cfg.JoinsPerSecondPerIP, cfg.JoinBurstPerIP), epoch: time.Now(),
		ctx: ctx, cancel: cancel, shutdown: make(chan struct{}),
		rooms: map[string]*Room{}, tokens: map[string]*Participant{}}, nil
}

// Close ends every session (clients get close code 1001), waits for every
// goroutine the SFU started, then closes the media sockets. Idempotent.
func (s *SFU) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.shutdown)
		s.waitParticipants()
		s.cancel()
		s.wg.Wait()
		for _, c := range s.muxes {
			err = errors.Join(err, c.Close())
		}
		s.logger.Info("sfu closed")
	})
	return err
}

// waitParticipants waits until every participant has left (each closes its
// socket with 1001 first), so that cancelling s.ctx cannot cut a close
// handshake short.
func (s *SFU) waitParticipants() {
	s.mu.Lock()
	var all []*Participant
	for _, r := range s.rooms {
		all = append(all, r.allMembers()...)
	}
	s.mu.Unlock()
	for _, p := range all {
		<-p.done
	}
}

// Rooms returns a snapshot of every room, sorted by name, with the
// dashboard's view of each participant and the lobby. It takes each room's
// lock briefly and never waits on a participant.
func (s *SFU) Rooms() []RoomInfo {
	s.mu.Lock()
	rooms := slices.Collect(maps.Values(s.rooms))
	s.mu.Unlock()
	now := time.Now()
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		out = append(out, r.info(now))
	}
	slices.SortFunc(out, func(a, b RoomInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// room returns the open room called name, or nil.
func (s *SFU) room(name string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[name]
}

// roomLocked returns the room called name, opening it if needed. Callers
// hold s.mu.
func (s *SFU) roomLocked(name string) *Room {
	r := s.rooms[name]
	if r == nil {
		r = newRoom(name)
		s.rooms[name] = r
		s.metrics.rooms.Inc()
	}
	return r
}

// dropRoomLocked forgets r when empty says it has nobody left. Callers
// hold s.mu, and learned empty under r's lock while holding it, so nobody
// can have joined since.
func (s *SFU) dropRoomLocked(r *Room, empty bool) {
	if empty && s.rooms[r.name] == r {
		delete(s.rooms, r.name)
		s.metrics.rooms.Dec()
	}
}

// dropIfEmpty forgets r if nobody is in it or its lobby.
func (s *SFU) dropIfEmpty(r *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropRoomLocked(r, r.isEmpty())
}

// now is the monotonic clock of the media path.
func (s *SFU) now() time.Duration { return time.Since(s.epoch) }

// track counts one more socket handler in s.wg, unless the SFU is
// closing.
func (s *SFU) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// randomID returns n random bytes in lower-case base32, without padding.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// newParticipantID returns an ID as validID accepts.
func newParticipantID() string { return "p_" + randomID(10) }
