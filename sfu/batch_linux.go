package sfu

import (
	"fmt"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchSender sends a batch with sendmmsg(2). The system call is made with
// RawSyscall inside the socket's RawConn.Write: the socket is non-blocking,
// so the call never sleeps (EAGAIN hands the wait to Go's poller), and
// skipping the runtime's syscall bookkeeping keeps the scheduler from
// handing our P to another thread during a long send (the profile of a
// load test showed more CPU in that hand-off and the wake-ups it causes
// than in the send itself).
type batchSender struct {
	rc    syscall.RawConn
	inet6 bool // an AF_INET6 socket: IPv4 peers as v4-mapped addresses

	// Scratch of the send in progress, reused (sendMu is held).
	hdrs  [maxBatch]unix.Mmsghdr
	iovs  [maxBatch]unix.Iovec
	names [maxBatch]unix.RawSockaddrInet6
	todo  []unix.Mmsghdr
	write func(fd uintptr) bool // s.sendmmsg, bound once so that Write allocates nothing
}

func newBatchSender(c *net.UDPConn) (batchSender, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return batchSender{}, fmt.Errorf("raw conn: %w", err)
	}
	var sa unix.Sockaddr
	cerr := rc.Control(func(fd uintptr) { sa, err = unix.Getsockname(int(fd)) })
	if cerr != nil || err != nil {
		return batchSender{}, fmt.Errorf("getsockname: %w", cmpErr(cerr, err))
	}
	_, inet6 := sa.(*unix.SockaddrInet6)
	return batchSender{rc: rc, inet6: inet6}, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// send writes the batch; a datagram the kernel refuses is dropped, as a
// failed sendto would drop it (pion ignores media write errors too).
func (s *batchSender) send(b *sendBatch) {
	for i := range b.n {
		s.iovs[i].Base = &b.bufs[i][0]
		s.iovs[i].SetLen(b.lens[i])
		h := &s.hdrs[i].Hdr
		h.Iov, h.Iovlen = &s.iovs[i], 1
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Namelen = s.sockaddr(&s.names[i], b, i)
	}
	s.todo = s.hdrs[:b.n]
	if s.write == nil {
		s.write = s.sendmmsg
	}
	_ = s.rc.Write(s.write) // only fails when the socket is closed
	s.todo = nil
}

// sendmmsg is the RawConn.Write callback: false asks the poller to wait
// until the socket is writable again.
func (s *batchSender) sendmmsg(fd uintptr) bool {
	for len(s.todo) > 0 {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&s.todo[0])),
			uintptr(len(s.todo)), 0, 0, 0)
		switch {
		case errno == unix.EAGAIN:
			return false
		case errno == unix.EINTR:
		case errno != 0:
			s.todo = s.todo[1:] // the first datagram failed: drop it
		default:
			s.todo = s.todo[n:]
		}
	}
	return true
}

// sockaddr writes datagram i's destination into sa in the socket's family
// and returns its length.
func (s *batchSender) sockaddr(sa *unix.RawSockaddrInet6, b *sendBatch, i int) uint32 {
	addr := b.addrs[i]
	ip, port := addr.Addr(), addr.Port()
	if !s.inet6 {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		sa4.Family = unix.AF_INET
		putPort(&sa4.Port, port)
		sa4.Addr = ip.Unmap().As4()
		return unix.SizeofSockaddrInet4
	}
	sa.Family = unix.AF_INET6
	putPort(&sa.Port, port)
	sa.Addr = ip.As16() // IPv4 as ::ffff:a.b.c.d
	sa.Scope_id = 0
	return unix.SizeofSockaddrInet6
}

// putPort stores port in network byte order whatever the host's order.
func putPort(dst *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0], b[1] = byte(port>>8), byte(port)
}
