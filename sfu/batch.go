package sfu

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
)

// maxBatch bounds the datagrams one sendmmsg carries (and the memory of a
// batch: maxBatch full-size packets).
const maxBatch = 64

// batchConn is the shared media UDP socket as pion's ICE mux sees it. It
// sends the copies of one forwarded packet with one sendmmsg instead of a
// sendto each: an up-track's reader opens a batch (begin) before writing to
// its subscribers and sends it (end) after. pion's write path (interceptors,
// SRTP, ICE) still runs per copy, synchronously in the reader, and ends in
// WriteToAddrPort, which then queues a copy of the datagram instead of
// sending it. Writes while no batch is open (ICE, DTLS, RTCP, with no
// forwarding going on) go straight to the socket.
//
// A packet another goroutine queues while a batch is open leaves with that
// batch, microseconds later. Batches leave in the order they were filled:
// sendMu is held across the send, so that two readers' flushes cannot
// reorder one subscriber's packets (the kernel serialises sends on one
// socket anyway, and a UDP send does not wait for the peer).
type batchConn struct {
	*net.UDPConn
	open atomic.Int32 // readers between begin and end

	sendMu sync.Mutex  // held by the one flush sending; taken before mu
	out    batchSender // used only under sendMu

	mu   sync.Mutex // guards cur and spare
	cur  *sendBatch
	next *sendBatch // the batch not being filled; nil while it is sent
}

// sendBatch is one batch's datagrams, with storage reused from batch to
// batch so that queuing allocates nothing.
type sendBatch struct {
	bufs  [maxBatch][maxPacketSize]byte
	lens  [maxBatch]int
	addrs [maxBatch]netip.AddrPort
	n     int
}

var (
	_ net.PacketConn           = (*batchConn)(nil)
	_ ice.AddrPortReaderWriter = (*batchConn)(nil)
)

func newBatchConn(c *net.UDPConn) (*batchConn, error) {
	out, err := newBatchSender(c)
	if err != nil {
		return nil, err
	}
	return &batchConn{UDPConn: c, out: out, cur: &sendBatch{}, next: &sendBatch{}}, nil
}

// begin opens a batch: writes are queued until the matching end.
func (c *batchConn) begin() { c.open.Add(1) }

// end closes the caller's batch and sends what is queued.
func (c *batchConn) end() {
	c.open.Add(-1)
	c.flush()
}

// ReadFromAddrPort implements ice.AddrPortReaderWriter (pion's
// allocation-free read path).
func (c *batchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.ReadFromUDPAddrPort(b)
}

// WriteToAddrPort implements ice.AddrPortReaderWriter: every packet pion
// sends on the shared socket comes here.
func (c *batchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if c.open.Load() == 0 || len(b) > maxPacketSize {
		return c.WriteToUDPAddrPort(b, addr)
	}
	c.enqueue(b, addr)
	return len(b), nil
}

// enqueue adds a copy of b to the batch being filled.
func (c *batchConn) enqueue(b []byte, addr netip.AddrPort) {
	c.mu.Lock()
	for c.cur.n == maxBatch {
		c.mu.Unlock()
		c.flush()
		c.mu.Lock()
	}
	s := c.cur
	s.lens[s.n] = copy(s.bufs[s.n][:], b)
	s.addrs[s.n] = addr
	s.n++
	c.mu.Unlock()
	// The last batch may have ended between the caller's check of open and
	// the append, its flush missing our datagram: then nobody else would
	// send it soon. (If open is still set here, that batch's end comes
	// after our append and sends it.)
	if c.open.Load() == 0 {
		c.flush()
	}
}

// WriteTo implements net.PacketConn for callers without an AddrPort.
func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return c.WriteToAddrPort(b, ua.AddrPort())
	}
	return c.UDPConn.WriteTo(b, addr)
}

// flush sends the queued datagrams, if any.
func (c *batchConn) flush() {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.mu.Lock()
	b := c.cur
	if b.n == 0 {
		c.mu.Unlock()
		return
	}
	c.cur, c.next = c.next, nil
	c.mu.Unlock()
	c.out.send(b)
	b.n = 0
	c.mu.Lock()
	c.next = b
	c.mu.Unlock()
}

// batchedMux is the ICE UDP mux together with the socket it sends through,
// so that the SFU can find the batcher among its muxes.
type batchedMux struct {
	udpMux
	conn *batchConn
}

// sendBatcher is the batching socket, or nil when the media socket is not
// a *net.UDPConn (then every copy is sent on its own).
func (s *SFU) sendBatcher() *batchConn {
	for _, m := range s.muxes {
		switch m := m.(type) {
		case batchedMux:
			return m.conn
		case hostUDPMux:
			if b, ok := m.udpMux.(batchedMux); ok {
				return b.conn
			}
		}
	}
	return nil
}

// socketBuffer is the receive and send buffer asked for on the shared media
// socket. Every participant's media arrives on it: with the kernel's default
// (about 200 KiB) a few publishers' key frames arriving while the reader
// waits for a core fill it, and the rest is dropped before we see it (the
// loadtest saw thousands of receive-buffer errors at 12 simulcast
// publishers). Linux caps the size at net.core.rmem_max / wmem_max.
const socketBuffer = 4 << 20

// sizeSocketBuffers asks for socketBuffer both ways; failing leaves the
// kernel's defaults, which work, only with more loss under bursts.
func sizeSocketBuffers(c *net.UDPConn, logger *slog.Logger) {
	if err := c.SetReadBuffer(socketBuffer); err != nil {
		logger.Warn("media socket receive buffer", slog.Any("err", err))
	}
	if err := c.SetWriteBuffer(socketBuffer); err != nil {
		logger.Warn("media socket send buffer", slog.Any("err", err))
	}
}
