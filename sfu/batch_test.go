package sfu

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// batchPair is a batching sender socket and a plain receiver.
func batchPair(t testing.TB, senderNet, senderAddr, recvNet, recvAddr string) (*batchConn, *net.UDPConn) {
	t.Helper()
	s, err := net.ListenUDP(senderNet, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(senderAddr)))
	if err != nil {
		t.Skipf("no %s socket on %s here: %v", senderNet, senderAddr, err)
	}
	r, err := net.ListenUDP(recvNet, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(recvAddr)))
	if err != nil {
		_ = s.Close()
		t.Skipf("no %s socket on %s here: %v", recvNet, recvAddr, err)
	}
	_ = r.SetReadBuffer(1 << 20)
	b, err := newBatchConn(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(); _ = r.Close() })
	return b, r
}

// numbered is a datagram carrying a 4-byte sender id and sequence.
func numbered(id, seq int) []byte {
	b := make([]byte, 100)
	binary.BigEndian.PutUint16(b, uint16(id))
	binary.BigEndian.PutUint16(b[2:], uint16(seq))
	return b
}

// receive reads n datagrams and returns their (id, seq) pairs.
func receive(t *testing.T, r *net.UDPConn, n int) [][2]int {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	var out [][2]int
	for range n {
		k, err := r.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v", len(out), n, err)
		}
		if k != 100 {
			t.Fatalf("datagram of %d bytes, want 100", k)
		}
		out = append(out, [2]int{int(binary.BigEndian.Uint16(buf)), int(binary.BigEndian.Uint16(buf[2:]))})
	}
	return out
}

func TestBatchConnSends(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		sNet, sAddr, rNet, rAdr string
		count                   int
	}{
		{"ipv4", "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0", 10},
		{"ipv4 over several sendmmsg", "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0", 3*maxBatch + 5},
		{"ipv6", "udp6", "[::1]:0", "udp6", "[::1]:0", 10},
		{"dual-stack socket to ipv4", "udp", "[::]:0", "udp4", "127.0.0.1:0", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, r := batchPair(t, tc.sNet, tc.sAddr, tc.rNet, tc.rAdr)
			to := r.LocalAddr().(*net.UDPAddr).AddrPort()
			b.begin()
			for i := range tc.count {
				if n, err := b.WriteToAddrPort(numbered(0, i), to); n != 100 || err != nil {
					t.Fatalf("write %d: %d, %v", i, n, err)
				}
			}
			if tc.count < maxBatch {
				_ = r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				if _, err := r.Read(make([]byte, 1500)); err == nil {
					t.Fatal("a datagram left before the batch ended")
				}
			}
			b.end()
			for i, got := range receive(t, r, tc.count) {
				if got != [2]int{0, i} {
					t.Fatalf("datagram %d is %v", i, got)
				}
			}
		})
	}
}

// TestBatchConnDirect: with no batch open, a write leaves at once.
func TestBatchConnDirect(t *testing.T) {
	b, r := batchPair(t, "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0")
	if _, err := b.WriteTo(numbered(1, 1), r.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, r, 1); got[0] != [2]int{1, 1} {
		t.Fatalf("got %v", got)
	}
}

// TestBatchConnConcurrent: readers batching at the same time lose nothing
// and each one's datagrams keep their order.
func TestBatchConnConcurrent(t *testing.T) {
	b, r := batchPair(t, "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0")
	to := r.LocalAddr().(*net.UDPAddr).AddrPort()
	const writers, rounds, copies = 4, 10, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			seq := 0
			for range rounds {
				b.begin()
				for range copies {
					_, _ = b.WriteToAddrPort(numbered(w, seq), to)
					seq++
				}
				b.end()
			}
		})
	}
	got := receive(t, r, writers*rounds*copies)
	wg.Wait()
	next := make([]int, writers)
	for _, d := range got {
		if d[1] != next[d[0]] {
			t.Fatalf("writer %d: datagram %d after %d", d[0], d[1], next[d[0]]-1)
		}
		next[d[0]]++
	}
}

// BenchmarkBatchConn is one forwarded packet's 20 copies: queue them and
// send them with sendmmsg. It must not allocate.
func BenchmarkBatchConn(b *testing.B) {
	c, r := batchPair(b, "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0")
	go drain(r)
	to := r.LocalAddr().(*net.UDPAddr).AddrPort()
	pkt := make([]byte, 1100)
	b.ReportAllocs()
	for b.Loop() {
		c.begin()
		for range 20 {
			_, _ = c.WriteToAddrPort(pkt, to)
		}
		c.end()
	}
}

// TestBatchConnLateWrite: a datagram queued just after the last batch
// ended (its writer saw the batch open) still leaves at once, not with
// some later batch.
func TestBatchConnLateWrite(t *testing.T) {
	b, r := batchPair(t, "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0")
	to := r.LocalAddr().(*net.UDPAddr).AddrPort()
	b.begin()
	b.end()
	b.enqueue(numbered(2, 1), to) // as WriteToAddrPort does after seeing open > 0
	if got := receive(t, r, 1); got[0] != [2]int{2, 1} {
		t.Fatalf("got %v", got)
	}
}
