package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// Handler returns the signalling endpoint (/ws). It checks Origin against
// Host before upgrading (cross-site WebSocket hijacking: browsers send
// cookies with a cross-site upgrade, and CrossOriginProtection does not
// check GET), then runs the protocol of docs/protocol.md on the socket.
func (s *SFU) Handler() http.Handler { return http.HandlerFunc(s.serveWS) }

func (s *SFU) serveWS(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	if !s.track() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept has answered the request
	}
	conn.SetReadLimit(s.cfg.MaxMessageBytes)
	ip := remoteIP(r)
	sock := newSocket(conn, s.cfg, s.logger.With("remote_addr", ip.String()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sock.writeLoop()
	}()
	if s.serveSocket(sock, ip, r.Header.Clone()) {
		// Someone queued a goodbye (error, close frame): give the writer
		// time to deliver it.
		t := time.NewTimer(s.cfg.WriteTimeout + closeHandshakeTime)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	sock.kill()
	<-done
}

// closeHandshakeTime is how long coder/websocket waits for the peer's close
// frame.
const closeHandshakeTime = 5 * time.Second

// sameOrigin accepts requests without Origin (non-browser clients, which
// cannot be made to carry a victim's cookies) and those whose Origin host
// equals Host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// remoteIP is the client's address. Conclave is not deployed behind a
// proxy, so RemoteAddr is the client.
func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// serveSocket runs the protocol on one socket: the join, then the message
// loop that feeds the participant's goroutine. It returns when the client
// is gone (false) or when a goodbye was queued for it (true).
func (s *SFU) serveSocket(sock *socket, ip netip.Addr, hdr http.Header) (goodbye bool) {
	j, err := s.readJoin(sock)
	if err == nil {
		var p *Participant
		var k *knocker
		if p, k, err = s.admit(s.ctx, j, sock, ip, hdr); err == nil {
			if k != nil {
				return s.serveLobby(sock, k)
			}
			return s.serveParticipant(sock, p)
		}
	}
	if errors.Is(err, errSocketRead) {
		return false
	}
	s.refuse(sock, err)
	return true
}

// serveParticipant feeds p until the socket ends.
func (s *SFU) serveParticipant(sock *socket, p *Participant) (goodbye bool) {
	left, err := s.readLoop(sock, func() *Participant { return p })
	return s.readEnded(sock, p, left, err)
}

// serveLobby reads a knocker's socket: while it waits, only leave is
// allowed; once admitted, messages go to its participant.
func (s *SFU) serveLobby(sock *socket, k *knocker) (goodbye bool) {
	left, err := s.readLoop(sock, k.participant)
	if p := k.socketEnded(); p != nil {
		return s.readEnded(sock, p, left, err)
	}
	switch {
	case err != nil:
		sock.send(encode(errorOut{Type: "error", Code: errorCode(err), Message: publicMessage(err), Fatal: true}))
		sock.close(websocket.StatusPolicyViolation, errorCode(err))
		return true
	case left:
		sock.close(websocket.StatusNormalClosure, "left")
		return true
	}
	return false
}

// readEnded hands the end of p's socket to p's goroutine.
func (s *SFU) readEnded(sock *socket, p *Participant, left bool, err error) (goodbye bool) {
	if err != nil {
		p.post(fatalEvent{err: err})
		return true
	}
	p.post(socketEvent{sock: sock, left: left})
	return left
}

// readJoin waits JoinTimeout for the first message, which must be a join.
func (s *SFU) readJoin(sock *socket) (joinMsg, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.JoinTimeout)
	defer cancel()
	typ, data, err := sock.conn.Read(ctx)
	if err != nil {
		return joinMsg{}, fmt.Errorf("%w: %w", errSocketRead, err)
	}
	if typ != websocket.MessageText {
		return joinMsg{}, fmt.Errorf("%w: binary message", ErrBadMessage)
	}
	m, err := decodeClientMessage(data)
	if err != nil {
		return joinMsg{}, err
	}
	j, ok := m.(joinMsg)
	if !ok {
		return joinMsg{}, fmt.Errorf("%w: %s before join", errNotJoined, m.messageType())
	}
	return j, nil
}

// Errors only the handler produces: not-joined, already-joined, and a read
// that failed (the client is gone; nothing to tell it).
var (
	errNotJoined     = errors.New("sfu: not joined")
	errAlreadyJoined = errors.New("sfu: already joined")
	errSocketRead    = errors.New("sfu: socket read")
)

// refuse ends a socket that never joined: a fatal error, then close 1008
// (1001 when the SFU is closing).
func (s *SFU) refuse(sock *socket, err error) {
	code := errorCode(err)
	s.metrics.joinsRefused.WithLabelValues(code).Inc()
	if code == "internal" && !errors.Is(err, ErrClosed) {
		s.logger.Error("join failed", slog.Any("err", err))
	} else {
		s.logger.Debug("join refused", "code", code, slog.Any("err", err))
	}
	status := websocket.StatusPolicyViolation
	if errors.Is(err, ErrClosed) {
		status = websocket.StatusGoingAway
	}
	sock.send(encode(errorOut{Type: "error", Code: code, Message: publicMessage(err), Fatal: true}))
	sock.close(status, code)
}

// readLoop reads client messages until the socket ends, validates them and
// queues them for the participant cur returns; while cur returns nil (the
// lobby) only leave is accepted. It returns left=true after a leave
// message, and an error when the client must be disconnected (rate limit).
func (s *SFU) readLoop(sock *socket, cur func() *Participant) (left bool, err error) {
	lim := rate.NewLimiter(rate.Limit(s.cfg.MessagesPerSecond), s.cfg.MessageBurst)
	for {
		// Not s.ctx: cancelling a read makes coder/websocket drop the
		// connection, which would cut the close frame (1001) that the
		// participant's writer sends on shutdown. Every way a session ends
		// closes the socket, and that ends this read.
		typ, data, err := sock.conn.Read(context.Background())
		if err != nil {
			return false, nil
		}
		if !lim.Allow() {
			return false, fmt.Errorf("messages on one socket: %w", ErrRateLimited)
		}
		p := cur()
		if typ != websocket.MessageText {
			s.reply(sock, p, clientErr(ErrBadMessage, "binary messages are not part of the protocol"))
			continue
		}
		m, err := decodeClientMessage(data)
		switch {
		case err != nil:
			s.reply(sock, p, err)
			continue
		case m.messageType() == "join":
			s.reply(sock, p, clientErr(errAlreadyJoined, "this socket has joined already"))
			continue
		case m.messageType() == "leave":
			if p != nil {
				p.post(msgEvent{msg: m})
			}
			return true, nil
		case p == nil:
			s.reply(sock, nil, clientErr(ErrNotAllowed, "waiting in the lobby"))
			continue
		}
		p.post(msgEvent{msg: m})
	}
}

// reply sends a non-fatal error, through p when there is one.
func (s *SFU) reply(sock *socket, p *Participant, err error) {
	if p != nil {
		p.sendError(err)
		return
	}
	s.logger.Debug("signalling error in the lobby", slog.Any("err", err))
	sock.send(encode(errorOut{Type: "error", Code: errorCode(err), Message: publicMessage(err)}))
}
