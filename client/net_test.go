package client_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"conclave/client"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/transport/v5/test"
)

// countingNet is the host network, counting the sockets opened through it.
type countingNet struct {
	*stdnet.Net
	dials, listens atomic.Int32
}

func (n *countingNet) ListenPacket(network, address string) (net.PacketConn, error) {
	n.listens.Add(1)
	return n.Net.ListenPacket(network, address)
}

func (n *countingNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	n.listens.Add(1)
	return n.Net.ListenUDP(network, addr)
}

func (n *countingNet) CreateDialer(d *net.Dialer) transport.Dialer {
	return countingDialer{n: n, d: n.Net.CreateDialer(d)}
}

// countingDialer has no DialContext, as a pion Dialer need not: the client must cope.
type countingDialer struct {
	n *countingNet
	d transport.Dialer
}

func (d countingDialer) Dial(network, address string) (net.Conn, error) {
	d.n.dials.Add(1)
	return d.d.Dial(network, address)
}

// TestConfigNet: with Config.Net the signaling connection and the ICE sockets are opened
// through it, and media flows.
func TestConfigNet(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	std, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	n := &countingNet{Net: std}
	r := newRIDServer(t, "video-size")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Join(ctx, client.Config{URL: r.url(), Room: "net", Name: "bot", Net: n,
		Publish: client.Publish{Video: true}, ICEIPFilter: loopbackOnly, Logger: testLogger()})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	defer c.Close()
	if got := n.dials.Load(); got != 1 {
		t.Errorf("got %d dials through Net after join, want 1 (the WebSocket)", got)
	}
	waitFor(t, 15*time.Second, "video at the server", func() bool { return r.counters("", "video").frames > 0 })
	if got := n.listens.Load(); got == 0 {
		t.Error("no ICE socket opened through Net")
	}
}
