package turn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// track registers one more live loop, connection or relay socket. It returns
// the function that ends it (call once), or ok=false once Close has begun.
func (s *Server) track() (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, false
	}
	s.live++
	return s.untrack, true
}

// mustTrack is track for the listener loops registered during New.
func (s *Server) mustTrack() func() {
	release, _ := s.track()
	return release
}

func (s *Server) untrack() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live--
	if s.closing && s.live == 0 {
		close(s.idle)
	}
}

// newStreamConn wraps and registers an accepted TCP/TLS connection; nil if
// the Server is closing (the connection is then closed).
func (s *Server) newStreamConn(c net.Conn) *streamConn {
	idle := s.cfg.AllocationLifetime
	if idle == 0 {
		idle = 10 * time.Minute // pion's default allocation lifetime
	}
	sc := &streamConn{
		Conn:   c,
		remote: c.RemoteAddr(),
		framer: pionturn.NewSTUNConn(c),
		idle:   max(idle, minIdleTimeout),
		now:    s.cfg.Now,
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		c.Close()
		return nil
	}
	s.live++
	s.conns[sc.remote] = sc
	s.mu.Unlock()
	sc.release = func() {
		s.mu.Lock()
		if s.conns[sc.remote] == sc {
			delete(s.conns, sc.remote)
		}
		s.mu.Unlock()
		s.untrack()
	}
	return sc
}

// Close stops the server: it closes the sockets given in Config, every
// TCP/TLS connection and every allocation, then waits (up to closeTimeout)
// until pion's loops and relay sockets have ended. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.mu.Lock()
	s.closing = true
	if s.live == 0 {
		close(s.idle)
	}
	conns := make([]*streamConn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	var errs []error
	if err := s.pion.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close turn sockets: %w", err))
	}
	// pion closes listeners but not the connections they accepted.
	for _, c := range conns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.logger.Debug("close turn connection", slog.Any("err", err))
		}
	}
	// A closed channel, so that both waits below see the one deadline.
	deadline, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	select {
	case <-s.idle:
	case <-deadline.Done():
		errs = append(errs, ErrCloseTimeout)
	}
	// pion removes the allocation of a TCP connection from the connection's
	// own goroutine once its read fails, a moment after the close above:
	// Close returns once none is left, so nothing outlives the server.
	for s.pion.AllocationCount() > 0 {
		select {
		case <-deadline.Done():
			return errors.Join(append(errs, ErrCloseTimeout, s.metrics.unregister())...)
		case <-time.After(5 * time.Millisecond):
		}
	}
	errs = append(errs, s.metrics.unregister())
	s.logger.Info("turn server stopped")
	return errors.Join(errs...)
}
