package sfu

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// BenchmarkFloor is the bare floor of forwarding, the yardstick of
// docs/performance.md: read one SRTP packet from a UDP socket, decrypt it,
// and for each subscriber rewrite its SSRC and sequence number, encrypt it
// with that subscriber's own SRTP context and send it on the same socket.
// No interceptors, no goroutine hand-offs, no bookkeeping: what any SFU
// must at least do per copy. It reports the forwarding thread's own CPU
// time per copy (the feeder and the sinks run on other threads and are not
// counted; on loopback the kernel's delivery to the sink runs inside our
// send, as it does for the real server). batch=true sends each packet's
// copies with one sendmmsg instead of one sendto each.
func BenchmarkFloor(b *testing.B) {
	for _, fan := range []int{20, 100} {
		for _, batch := range []bool{false, true} {
			b.Run(fmt.Sprintf("fanout=%d/batch=%v", fan, batch), func(b *testing.B) {
				benchFloor(b, fan, batch)
			})
		}
	}
}

// floorRig is the sockets and SRTP contexts of one floor run.
type floorRig struct {
	srv   *net.UDPConn
	sinks []*net.UDPConn
	in    *srtp.Context   // decrypts what the feeder sends
	outs  []*srtp.Context // one per subscriber
	addrs []*net.UDPAddr  // each subscriber's sink address
}

func newFloorRig(b *testing.B, fan int) *floorRig {
	b.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		_ = c.SetReadBuffer(4 << 20)
		b.Cleanup(func() { _ = c.Close() })
		return c
	}
	r := &floorRig{srv: listen(), in: floorContext(b)}
	for range 4 {
		r.sinks = append(r.sinks, listen())
	}
	for i := range fan {
		r.outs = append(r.outs, floorContext(b))
		r.addrs = append(r.addrs, r.sinks[i%len(r.sinks)].LocalAddr().(*net.UDPAddr))
	}
	return r
}

func floorContext(b *testing.B) *srtp.Context {
	b.Helper()
	c, err := srtp.CreateContext(make([]byte, 16), make([]byte, 12), srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchFloor(b *testing.B, fan int, batch bool) {
	r := newFloorRig(b, fan)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range r.sinks {
		wg.Go(func() { drain(s) })
	}
	wg.Go(func() { feed(b, r.srv.LocalAddr().(*net.UDPAddr), stop) })
	defer func() {
		close(stop)
		for _, s := range r.sinks {
			_ = s.SetReadDeadline(time.Now())
		}
		wg.Wait()
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f := newFloorLoop(r, batch)
	b.ReportAllocs()
	cpu0 := threadCPU()
	for b.Loop() {
		if err := f.step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(threadCPU()-cpu0)/1e3/float64(b.N*fan), "cpu-µs/copy")
}

// floorLoop is the forwarding loop's scratch space.
type floorLoop struct {
	r     *floorRig
	batch bool
	conn  *ipv4.PacketConn
	in    []byte
	plain []byte
	outs  [][]byte
	msgs  []ipv4.Message
	h     rtp.Header
}

func newFloorLoop(r *floorRig, batch bool) *floorLoop {
	f := &floorLoop{r: r, batch: batch, conn: ipv4.NewPacketConn(r.srv), in: make([]byte, 1500),
		plain: make([]byte, 1500), msgs: make([]ipv4.Message, len(r.outs))}
	for i := range r.outs {
		f.outs = append(f.outs, make([]byte, 1500))
		f.msgs[i] = ipv4.Message{Buffers: [][]byte{nil}, Addr: r.addrs[i]}
	}
	return f
}

// step forwards one packet to every subscriber.
func (f *floorLoop) step() error {
	n, _, err := f.r.srv.ReadFromUDPAddrPort(f.in)
	if err != nil {
		return err
	}
	plain, err := f.r.in.DecryptRTP(f.plain, f.in[:n], &f.h)
	if err != nil {
		return err
	}
	hl := f.h.MarshalSize()
	for i, ctx := range f.r.outs {
		f.h.SSRC = uint32(1000 + i)
		out, err := ctx.EncryptRTP(f.outs[i][:0], plain[hl:], &f.h)
		if err != nil {
			return err
		}
		if f.batch {
			f.msgs[i].Buffers[0] = out
			continue
		}
		if _, err := f.r.srv.WriteToUDPAddrPort(out, f.r.addrs[i].AddrPort()); err != nil {
			return err
		}
	}
	if f.batch {
		for sent := 0; sent < len(f.msgs); {
			k, err := f.conn.WriteBatch(f.msgs[sent:], 0)
			if err != nil {
				return err
			}
			sent += k
		}
	}
	return nil
}

// feed sends SRTP packets of a VP8-sized payload to addr, a few every
// millisecond, until stop is closed.
func feed(b *testing.B, addr *net.UDPAddr, stop <-chan struct{}) {
	c, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		b.Error(err)
		return
	}
	defer c.Close()
	ctx := floorContext(b)
	payload := make([]byte, 1100)
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1111}
	buf := make([]byte, 1500)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for range 4 {
			h.SequenceNumber++
			h.Timestamp += 3000
			out, err := ctx.EncryptRTP(buf[:0], payload, &h)
			if err == nil {
				_, _ = c.Write(out)
			}
		}
	}
}

// drain reads and drops everything sent to c until c is closed or its
// read deadline passes.
func drain(c *net.UDPConn) {
	buf := make([]byte, 1500)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// threadCPU is the calling OS thread's CPU time in nanoseconds.
func threadCPU() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return ts.Nano()
}
