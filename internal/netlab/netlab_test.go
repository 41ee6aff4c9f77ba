package netlab_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/transport/v5"

	"conclave/internal/netlab"
)

// TestExchange sends a message each way over TCP and UDP between the
// namespaces through their Nets, and checks each end sees the other's veth
// address: the packets crossed the veth, not a loopback.
func TestExchange(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	tests := []struct {
		name     string
		from, to netlab.Side
		exchange func(t *testing.T, from, to transport.Net, addr netip.Addr) netip.Addr
	}{
		{"tcp A to B", netlab.A, netlab.B, exchangeTCP},
		{"tcp B to A", netlab.B, netlab.A, exchangeTCP},
		{"udp A to B", netlab.A, netlab.B, exchangeUDP},
		{"udp B to A", netlab.B, netlab.A, exchangeUDP},
	}
	addr := map[netlab.Side]netip.Addr{netlab.A: l.AddrA, netlab.B: l.AddrB}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer := tc.exchange(t, l.Net(tc.from), l.Net(tc.to), addr[tc.to])
			if peer != addr[tc.from] {
				t.Errorf("server saw the client at %v, want %v", peer, addr[tc.from])
			}
		})
	}
}

// exchangeTCP listens on addr through to, dials it through from, echoes one
// message and returns the client address the server saw.
func exchangeTCP(t *testing.T, from, to transport.Net, addr netip.Addr) netip.Addr {
	ln, err := to.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	peer := make(chan netip.Addr, 1)
	go func() {
		c, err := ln.AcceptTCP()
		if err != nil {
			peer <- netip.Addr{}
			return
		}
		defer c.Close()
		peer <- c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
		_, _ = io.Copy(c, c)
	}()
	c, err := from.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	echo(t, c)
	return <-peer
}

// exchangeUDP is exchangeTCP for one datagram each way.
func exchangeUDP(t *testing.T, from, to transport.Net, addr netip.Addr) netip.Addr {
	srv, err := to.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer srv.Close()
	peer := make(chan netip.Addr, 1)
	go func() {
		buf := make([]byte, 1500)
		n, ra, err := srv.ReadFrom(buf)
		if err != nil {
			peer <- netip.Addr{}
			return
		}
		_, _ = srv.WriteTo(buf[:n], ra)
		peer <- ra.(*net.UDPAddr).AddrPort().Addr().Unmap()
	}()
	c, err := from.DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	echo(t, c)
	return <-peer
}

// echo writes a message to c and expects it back within 5 s.
func echo(t *testing.T, c net.Conn) {
	t.Helper()
	msg := []byte("hello across the veth")
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %q, want %q", got, msg)
	}
}

// TestInterfaces checks each Net lists its own namespace's veth and
// address, and the test's namespace has neither.
func TestInterfaces(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	for _, tc := range []struct {
		side netlab.Side
		dev  string
		addr netip.Addr
	}{{netlab.A, "vethA", l.AddrA}, {netlab.B, "vethB", l.AddrB}} {
		ifc, err := l.Net(tc.side).InterfaceByName(tc.dev)
		if err != nil {
			t.Fatalf("%s: %v", tc.side, err)
		}
		addrs, err := ifc.Addrs()
		if err != nil || len(addrs) != 1 || addrs[0].String() != tc.addr.String()+"/24" {
			t.Errorf("%s: %s has %v (%v), want only %v/24", tc.side, tc.dev, addrs, err, tc.addr)
		}
		if _, err := net.InterfaceByName(tc.dev); err == nil {
			t.Errorf("the test's own namespace has %s", tc.dev)
		}
	}
}

// TestIn checks In runs code inside the namespace (a socket can bind the
// namespace's address) and rejects an unknown side.
func TestIn(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	err := l.In(netlab.B, func() error {
		c, err := net.ListenPacket("udp4", netip.AddrPortFrom(l.AddrB, 0).String())
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		t.Errorf("bind %v inside B: %v", l.AddrB, err)
	}
	if err := l.In(netlab.Side(7), func() error { return nil }); !errors.Is(err, netlab.ErrBadSide) {
		t.Errorf("In(7) = %v, want ErrBadSide", err)
	}
	if err := l.Shape(-1); !errors.Is(err, netlab.ErrBadRate) {
		t.Errorf("Shape(-1) = %v, want ErrBadRate", err)
	}
}

// TestClose checks that after Close every thread of the process is back in
// its own namespace, no descriptor holds a lab namespace (so the kernel
// frees both, and the veth), no child process is left, and the lab refuses
// work.
func TestClose(t *testing.T) {
	home := nsInode(t, "/proc/self/ns/net")
	l := netlab.New(t, netlab.Options{Kbit: 500})
	for range 20 { // many socket operations, on many threads
		c, err := l.Net(netlab.A).ListenPacket("udp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	tasks, _ := filepath.Glob("/proc/self/task/*")
	for _, task := range tasks {
		if got := nsInode(t, task+"/ns/net"); got != home {
			t.Errorf("thread %s is in namespace %s, want %s", filepath.Base(task), got, home)
		}
		if kids, _ := os.ReadFile(task + "/children"); len(bytes.TrimSpace(kids)) > 0 {
			t.Errorf("thread %s has child processes %s", filepath.Base(task), kids)
		}
	}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if s, err := os.Readlink(fd); err == nil && strings.HasPrefix(s, "net:[") && s != home {
			t.Errorf("descriptor %s still holds namespace %s", filepath.Base(fd), s)
		}
	}
	if _, err := l.Net(netlab.A).ListenPacket("udp4", "0.0.0.0:0"); !errors.Is(err, netlab.ErrClosed) {
		t.Errorf("listen after close = %v, want ErrClosed", err)
	}
	if err := l.Shape(100); !errors.Is(err, netlab.ErrClosed) {
		t.Errorf("shape after close = %v, want ErrClosed", err)
	}
}

// nsInode is the namespace a /proc ns link points to, e.g. net:[4026531840].
func nsInode(t *testing.T, link string) string {
	t.Helper()
	s, err := os.Readlink(link)
	if err != nil {
		t.Fatalf("read %s: %v", link, err)
	}
	return s
}
