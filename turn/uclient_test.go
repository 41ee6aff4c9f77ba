package turn

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// T1: long-term happy path through a test-only peer allow-list.
func TestUclientHappyPath(t *testing.T) {
	peer := startPeer(t)
	ts := startServer(t, func(c *Config) { c.TestAllowPeerIPs = []netip.Addr{loopback} })
	u, p := Credentials(ts.secret, "alice", time.Hour, time.Now())
	r := uclient(t, 30*time.Second, "-u", u, "-w", p, "-e", "127.0.0.1", "-r", strconv.Itoa(peer),
		"-n", "20", "-m", "2", "-l", "170", "-z", "5", "-p", port(ts.udpAddr), "127.0.0.1")
	t.Logf("exit %d\n%s", r.exit, r.out)
}
