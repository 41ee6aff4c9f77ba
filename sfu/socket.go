package sfu

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// socket is one signalling WebSocket. Anyone may queue a message with send
// (it never blocks); one writer goroutine (writeLoop) writes them in order,
// pings, and finally closes the connection. The handler goroutine reads.
type socket struct {
	conn         *websocket.Conn
	out          chan outFrame
	abort        chan struct{} // closed to drop the connection at once
	done         chan struct{} // closed when writeLoop returns
	writeTimeout time.Duration
	pingInterval time.Duration
	logger       *slog.Logger

	mu     sync.Mutex
	closed bool // no more frames are accepted
}

// outFrame is a text message, or (close set) the closing handshake.
type outFrame struct {
	data   []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

func newSocket(conn *websocket.Conn, cfg Config, logger *slog.Logger) *socket {
	return &socket{conn: conn, out: make(chan outFrame, cfg.SendQueue), abort: make(chan struct{}),
		done: make(chan struct{}), writeTimeout: cfg.WriteTimeout, pingInterval: cfg.PingInterval, logger: logger}
}

// send queues a message. A socket whose queue is full belongs to a client
// that stopped reading: it is dropped rather than allowed to hold memory.
func (s *socket) send(data []byte) {
	s.enqueue(outFrame{data: data}, false)
}

// close queues the closing handshake after the messages already queued.
func (s *socket) close(code websocket.StatusCode, reason string) {
	s.enqueue(outFrame{close: true, code: code, reason: reason}, true)
}

func (s *socket) enqueue(f outFrame, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = last
	select {
	case s.out <- f:
	default:
		s.closed = true
		close(s.abort)
		s.logger.Debug("signalling socket too slow, dropping it")
	}
}

// kill drops the connection without a handshake (the peer is gone).
func (s *socket) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.abort)
	}
}

// writeLoop is the socket's writer goroutine.
func (s *socket) writeLoop() {
	defer close(s.done)
	ping := time.NewTicker(s.pingInterval)
	defer ping.Stop()
	for {
		select {
		case f := <-s.out:
			if f.close {
				_ = s.conn.Close(f.code, f.reason)
				return
			}
			if err := s.write(f.data); err != nil {
				_ = s.conn.CloseNow()
				return
			}
		case <-ping.C:
			// A peer that does not answer within two intervals is gone.
			ctx, cancel := context.WithTimeout(context.Background(), 2*s.pingInterval)
			err := s.conn.Ping(ctx)
			cancel()
			if err != nil {
				_ = s.conn.CloseNow()
				return
			}
		case <-s.abort:
			_ = s.conn.CloseNow()
			return
		}
	}
}

func (s *socket) write(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.writeTimeout)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, data)
}
