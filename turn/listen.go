package turn

import (
	"net"
	"sync"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// The socket wrappers below sit between our listeners and pion. They let the
// Server (1) know when pion's loops and connections have ended, so Close can
// wait for them; (2) close TCP/TLS connections on Close (pion's Close only
// closes listeners); (3) bound idle TCP/TLS connections; and (4) remember the
// STUN frame each loop is handling, for secret rotation (see
// authenticator.check).

// frameStash holds the last STUN frame a read loop returned and its source.
type frameStash struct {
	mu    sync.Mutex
	addr  net.Addr
	frame []byte
}

// set records frame as the one being handled for addr. ChannelData (first
// two bits 01) is never authenticated, so the media path skips the lock.
func (f *frameStash) set(addr net.Addr, frame []byte) {
	if len(frame) == 0 || frame[0]&0xC0 != 0 {
		return
	}
	f.mu.Lock()
	f.addr, f.frame = addr, frame
	f.mu.Unlock()
}

// get returns the frame if it came from addr (the very same net.Addr value
// pion passes on to the AuthHandler), else nil.
func (f *frameStash) get(addr net.Addr) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addr != addr {
		return nil
	}
	return f.frame
}

// udpConn wraps the --turn UDP socket handed to pion.
type udpConn struct {
	net.PacketConn
	stash   frameStash
	once    sync.Once
	release func()
}

// ReadFrom implements net.PacketConn. pion's read loop ends at the first error.
func (c *udpConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if err != nil {
		c.once.Do(c.release)
		return n, addr, err
	}
	c.stash.set(addr, p[:n])
	return n, addr, nil
}

// Timeouts for stream (TCP, TLS) connections.
const (
	// firstFrameTimeout bounds a connection that never sends a frame.
	firstFrameTimeout = 10 * time.Second
	// minIdleTimeout is the floor of the idle timeout, which is otherwise
	// the allocation lifetime: a live allocation is refreshed within it.
	minIdleTimeout = 30 * time.Second
)

// streamListener wraps a TCP or TLS listener handed to pion.
type streamListener struct {
	net.Listener
	srv     *Server
	once    sync.Once
	release func()
}

// Accept implements net.Listener. pion's accept loop ends at the first error.
func (l *streamListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.once.Do(l.release)
			return nil, err
		}
		if sc := l.srv.newStreamConn(c); sc != nil {
			return sc, nil
		}
	}
}

// streamConn frames a TCP/TLS byte stream so that each Read returns exactly
// one STUN or ChannelData frame: pion then handles the frame our stash holds.
type streamConn struct {
	net.Conn
	remote  net.Addr // fixed identity: pion passes it to the AuthHandler
	framer  *pionturn.STUNConn
	stash   frameStash
	idle    time.Duration
	now     func() time.Time
	started bool // a frame was read; only the reading goroutine touches it

	once    sync.Once
	release func()
}

// Read implements net.Conn, one frame per call.
func (c *streamConn) Read(p []byte) (int, error) {
	timeout := firstFrameTimeout
	if c.started {
		timeout = c.idle
	}
	if err := c.Conn.SetReadDeadline(c.now().Add(timeout)); err != nil {
		return 0, err
	}
	n, _, err := c.framer.ReadFrom(p)
	if err != nil {
		return n, err
	}
	c.started = true
	c.stash.set(c.remote, p[:n])
	return n, nil
}

// RemoteAddr implements net.Conn with the address fixed at accept.
func (c *streamConn) RemoteAddr() net.Addr { return c.remote }

// Close implements net.Conn and unregisters the connection.
func (c *streamConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// chanListener is the listener behind Server.HandleTLSConn.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{
		addr:  &net.TCPAddr{IP: net.IPv4zero},
		conns: make(chan net.Conn),
		done:  make(chan struct{}),
	}
}

// Accept implements net.Listener.
func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// deliver hands conn to Accept, or closes it once the listener is closed.
func (l *chanListener) deliver(conn net.Conn) {
	select {
	case l.conns <- conn:
	case <-l.done:
		conn.Close()
	}
}

// Close implements net.Listener.
func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *chanListener) Addr() net.Addr { return l.addr }
