//go:build !linux

package sfu

import "net"

// batchSender sends a batch one datagram at a time where sendmmsg(2) does
// not exist.
type batchSender struct{ c *net.UDPConn }

func newBatchSender(c *net.UDPConn) (batchSender, error) { return batchSender{c: c}, nil }

// send writes the batch; a datagram the kernel refuses is dropped.
func (s *batchSender) send(b *sendBatch) {
	for i := range b.n {
		_, _ = s.c.WriteToUDPAddrPort(b.bufs[i][:b.lens[i]], b.addrs[i])
	}
}
