package netlab_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"conclave/internal/netlab"
)

// TestShape measures A → B over TCP, sending as fast as it can, under
// limits changed while the lab runs: within ±25 % of the limit when
// shaped, and far faster without one.
func TestShape(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	tests := []struct {
		kbit     int // 0: no limit
		window   time.Duration
		min, max float64 // kbit/s
	}{
		{500, 3 * time.Second, 375, 625},
		{0, time.Second, 20 * 500, 0},
		{1000, 3 * time.Second, 750, 1250},
	}
	for _, tc := range tests {
		if err := l.Shape(tc.kbit); err != nil {
			t.Fatalf("shape %d: %v", tc.kbit, err)
		}
		got := measure(t, l, tc.window)
		t.Logf("limit %d kbit/s: measured %.0f kbit/s over %v", tc.kbit, got, tc.window)
		if got < tc.min || (tc.max > 0 && got > tc.max) {
			t.Errorf("limit %d kbit/s: measured %.0f kbit/s, want %.0f to %.0f", tc.kbit, got, tc.min, tc.max)
		}
	}
}

// measure sends from A to B as fast as TCP allows and returns what B
// received in window after its first byte, in kbit/s.
func measure(t *testing.T, l *netlab.Lab, window time.Duration) float64 {
	t.Helper()
	ln, err := l.Net(netlab.B).ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(l.AddrB, 0)))
	if err != nil {
		t.Fatalf("listen in B: %v", err)
	}
	defer ln.Close()
	c, err := l.Net(netlab.A).Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial from A: %v", err)
	}
	defer c.Close()
	sent := make(chan struct{})
	go func() { // ends when the receiver closes
		defer close(sent)
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	defer func() { c.Close(); <-sent }()
	r, err := ln.AcceptTCP()
	if err != nil {
		t.Fatalf("accept in B: %v", err)
	}
	defer r.Close()
	return receive(t, r, window)
}

// receive counts the bytes r delivers in window after the first one.
func receive(t *testing.T, r net.Conn, window time.Duration) float64 {
	t.Helper()
	buf := make([]byte, 64<<10)
	if err := r.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(buf[:1]); err != nil {
		t.Fatalf("first byte: %v", err)
	}
	end := time.Now().Add(window)
	if err := r.SetReadDeadline(end); err != nil {
		t.Fatal(err)
	}
	var total int
	for {
		n, err := r.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	return float64(total) * 8 / 1000 / window.Seconds()
}
