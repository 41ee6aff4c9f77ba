package appliance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The TLS port carries three protocols so that a network that only lets TCP
// 443 through still gets everything (DESIGN.md "Shape of the process"):
//
//	TLS → HTTP/1.1 and h2 (the router), or STUN/TURN inside TLS (TURN over TLS)
//	RFC 4571 framed STUN → ICE-TCP of the SFU
//	plain HTTP → a redirect to HTTPS (someone typed http://host:8443)
//
// The first byte decides: a TLS record starts with 0x16 (handshake); an RFC
// 4571 frame starts with a big-endian length, and the ICE binding requests
// that open an ICE-TCP connection are far below 0x1600 bytes; HTTP starts
// with an upper-case method letter.

// alpnTURN is the ALPN ID of TURN over TLS (RFC 7443). Most TURN clients
// send no ALPN at all; those that do must find it offered, or Go's TLS
// server refuses the handshake.
const alpnTURN = "stun.turn"

// withTURNALPN lets TURN clients that announce alpnTURN (coturn's client
// offers it next to http/1.1) get it: Go picks the first of the server's
// protocols that the client offers, which would be http/1.1, so such
// clients are given a config that offers only alpnTURN. It returns nil for
// nil (--tls off).
func withTURNALPN(c *tls.Config) *tls.Config {
	if c == nil {
		return nil
	}
	base := c.Clone()
	turnOnly := c.Clone()
	turnOnly.NextProtos = []string{alpnTURN}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if slices.Contains(hello.SupportedProtos, alpnTURN) {
			return turnOnly, nil
		}
		if c.GetConfigForClient != nil {
			return c.GetConfigForClient(hello)
		}
		return nil, nil
	}
	return base
}

// ConnHandler takes ownership of a connection the demux has classified.
type ConnHandler func(net.Conn)

// connKind is what the first bytes of a connection say it carries.
type connKind int

const (
	kindUnknown connKind = iota
	kindTLS
	kindRFC4571
	kindPlainHTTP
	kindSTUN
)

// classifyFirstByte tells the outer protocol of a new TCP connection.
func classifyFirstByte(b byte) connKind {
	switch {
	case b == 0x16:
		return kindTLS
	case b <= 0x03:
		return kindRFC4571
	case b >= 'A' && b <= 'Z':
		return kindPlainHTTP
	}
	return kindUnknown
}

// classifyInner tells what a client speaks inside TLS: STUN messages start
// with two zero bits (RFC 8489 section 5), HTTP/1.x with a method letter.
func classifyInner(b byte) connKind {
	if b&0xC0 == 0 {
		return kindSTUN
	}
	return kindPlainHTTP
}

// demux accepts on the TLS port and hands each connection to the right
// consumer. It owns one goroutine per connection until classification ends.
type demux struct {
	ln        net.Listener
	tlsConfig *tls.Config // nil with --tls off: HTTP is then served in clear
	logger    *slog.Logger

	conns *prometheus.CounterVec // connections by what they carried

	http     *chanListener // TLS (or clear, with --tls off) HTTP connections
	redirect *chanListener // clear HTTP on the TLS port
	turnTLS  ConnHandler   // TURN over TLS; nil until the TURN server exists
	iceTCP   ConnHandler   // RFC 4571 ICE-TCP; nil until the SFU exists

	wg sync.WaitGroup
}

// handshakeTimeout bounds how long a connection may sit unclassified, so
// idle or slow-loris sockets cannot pile up.
const handshakeTimeout = 10 * time.Second

func newDemux(ln net.Listener, tlsConfig *tls.Config, logger *slog.Logger, reg prometheus.Registerer) *demux {
	conns := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "conclave_tls_port_connections_total",
		Help: "Connections on the TLS port by what they carried: https, http_redirect, turn_tls, ice_tcp, rejected.",
	}, []string{"kind"})
	if reg != nil {
		if err := reg.Register(conns); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				conns = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return &demux{
		ln:        ln,
		tlsConfig: tlsConfig,
		logger:    logger,
		conns:     conns,
		http:      newChanListener(ln.Addr()),
		redirect:  newChanListener(ln.Addr()),
	}
}

// run accepts until ctx is done or the listener is closed, then waits for
// the connections still being classified.
func (d *demux) run(ctx context.Context) {
	defer d.wg.Wait()
	defer d.http.Close()
	defer d.redirect.Close()
	stop := context.AfterFunc(ctx, func() { d.ln.Close() })
	defer stop()
	var backoff time.Duration
	for {
		conn, err := d.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and go on, as
			// net/http does, rather than take the whole server down.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			d.logger.Error("accept on TLS port; retrying", slog.Any("err", err), slog.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.route(ctx, conn)
		}()
	}
}

// route classifies conn and passes it on, or closes it.
func (d *demux) route(ctx context.Context, conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	br := bufio.NewReaderSize(conn, 512)
	first, err := br.Peek(1)
	if err != nil {
		conn.Close()
		return
	}
	pc := &peekedConn{Conn: conn, r: br}
	kind := classifyFirstByte(first[0])
	if d.tlsConfig == nil && kind == kindPlainHTTP {
		_ = conn.SetDeadline(time.Time{})
		d.count("https")
		d.http.deliver(ctx, pc)
		return
	}
	switch kind {
	case kindTLS:
		if d.tlsConfig != nil {
			d.routeTLS(ctx, pc)
			return
		}
	case kindRFC4571:
		if d.iceTCP != nil {
			_ = conn.SetDeadline(time.Time{})
			d.count("ice_tcp")
			d.iceTCP(pc)
			return
		}
	case kindPlainHTTP:
		_ = conn.SetDeadline(time.Time{})
		d.count("http_redirect")
		d.redirect.deliver(ctx, pc)
		return
	}
	d.count("rejected")
	d.logger.Debug("closing unrecognised connection on TLS port",
		slog.String("remote_addr", conn.RemoteAddr().String()), slog.Int("first_byte", int(first[0])))
	conn.Close()
}

// routeTLS completes the handshake, then looks at what the client speaks.
// Clients that negotiated h2 or http/1.1 with ALPN go to HTTP as a real
// *tls.Conn (net/http needs that type for h2 and r.TLS); only clients without
// ALPN, such as TURN clients, are peeked at.
func (d *demux) routeTLS(ctx context.Context, conn net.Conn) {
	tc := tls.Server(conn, d.tlsConfig)
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		d.logger.Debug("TLS handshake", slog.String("remote_addr", conn.RemoteAddr().String()), slog.Any("err", err))
		tc.Close()
		return
	}
	switch tc.ConnectionState().NegotiatedProtocol {
	case "h2", "http/1.1":
		_ = tc.SetDeadline(time.Time{})
		d.count("https")
		d.http.deliver(ctx, tc)
		return
	case alpnTURN:
		if d.turnTLS != nil {
			_ = tc.SetDeadline(time.Time{})
			d.count("turn_tls")
			d.turnTLS(tc)
			return
		}
		tc.Close()
		return
	case "acme-tls/1":
		// TLS-ALPN-01 (RFC 8737 section 3): the handshake itself was the answer.
		tc.Close()
		return
	}
	br := bufio.NewReaderSize(tc, 512)
	first, err := br.Peek(1)
	if err != nil {
		tc.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})
	pc := &peekedConn{Conn: tc, r: br}
	if classifyInner(first[0]) == kindSTUN {
		if d.turnTLS != nil {
			d.count("turn_tls")
			d.turnTLS(pc)
			return
		}
		tc.Close()
		return
	}
	d.count("https")
	d.http.deliver(ctx, pc)
}

func (d *demux) count(kind string) { d.conns.WithLabelValues(kind).Inc() }

// peekedConn is a net.Conn whose first bytes were read ahead into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed by the demux, so that http.Server can
// Serve connections the demux has already classified.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// deliver hands conn to whoever Accepts, or closes it if the listener or ctx
// is closed first.
func (l *chanListener) deliver(ctx context.Context, conn net.Conn) {
	select {
	case l.conns <- conn:
	case <-l.done:
		conn.Close()
	case <-ctx.Done():
		conn.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
