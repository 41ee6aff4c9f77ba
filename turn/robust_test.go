package turn

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// TestRobustnessAndCleanup is TESTPLAN T10 then T11, about 45 s.
//
// T10: uclient's negative-protocol (-R), negative (-N), DOS (-O) and
// random-disconnect (-B) modes over UDP and TCP (exit codes ignored); then a
// normal run passes, no panic is logged, and Close brings goroutines and
// fds back to what they were before the server started (±5).
//
// T11: allocations expire. pion honours a LIFETIME the client asks for below
// one hour (uclient asks 777 s), so Config.AllocationLifetime is only the
// default; the expiry check therefore uses clients that ask for none: 20
// raw-STUN clients allocate, permit, bind a channel, send, and vanish
// without deallocating. After the 20 s lifetime the allocation count, the
// quota books, goroutines and fds are back at their baseline (±5).
func TestRobustnessAndCleanup(t *testing.T) {
	peer := strconv.Itoa(startPeer(t))
	t.Run("T10 abuse", func(t *testing.T) {
		baseG, baseFD := runtime.NumGoroutine(), openFDs(t)
		t.Run("server", func(t *testing.T) { abuseServer(t, peer) }) // its Cleanup closes the server
		waitBaseline(t, "after Close", 10*time.Second, func() int { return 0 }, baseG, baseFD)
	})
	t.Run("T11 expiry", func(t *testing.T) {
		ts := startServer(t, func(c *Config) {
			allowLoopback(c)
			c.AllocationLifetime = 20 * time.Second
		})
		baseG, baseFD := runtime.NumGoroutine(), openFDs(t)
		p, err := strconv.Atoi(peer)
		if err != nil {
			t.Fatal(err)
		}
		abandonAllocations(t, ts, 20, uint16(p))
		if n := ts.Allocations(); n != 20 {
			t.Fatalf("allocations = %d, want 20", n)
		}
		live := func() int { return ts.Allocations() + ts.quotas.live() + int(counterValue(ts.metrics.allocations)) }
		waitBaseline(t, "after expiry", 40*time.Second, live, baseG, baseFD)
	})
}

func abuseServer(t *testing.T, peer string) {
	ts := startServer(t, func(c *Config) {
		allowLoopback(c)
		c.UserQuota = -1 // let the DOS modes allocate for real
		c.AllocationLifetime = 20 * time.Second
	})
	secret := string(ts.secret)
	run := func(transport, user string, mode ...string) []string {
		p := port(ts.udpAddr)
		if transport == "tcp" {
			p = port(ts.tcpAddr)
			mode = append(mode, "-t")
		}
		return append(mode, "-W", secret, "-u", user, "-e", "127.0.0.1", "-r", peer, "-n", "10", "-z", "5",
			"-p", p, "127.0.0.1")
	}
	var runs [][]string
	for _, tr := range []string{"udp", "tcp"} {
		runs = append(runs, run(tr, tr+"-R", "-R"), run(tr, tr+"-N", "-N"),
			run(tr, tr+"-O", "-O", "-m", "20"), run(tr, tr+"-B", "-B", "-m", "10"))
	}
	uclientAbuse(t, 20*time.Second, runs...)
	t.Logf("after abuse: %d allocations, %v created, %d goroutines, %d fds",
		ts.Allocations(), counterValue(ts.metrics.allocated), runtime.NumGoroutine(), openFDs(t))
	if counterValue(ts.metrics.allocated) < 20 {
		t.Errorf("abuse created only %v allocations; the DOS modes did not reach the server", counterValue(ts.metrics.allocated))
	}
	wantRelayed(t, "T2 after abuse", uclient(t, ucTimeout, run("udp", "after", "-m", "2")...))
	wantRelayed(t, "T2 over TCP after abuse", uclient(t, ucTimeout, run("tcp", "after-tcp")...))
	if logs := ts.logs.String(); strings.Contains(strings.ToLower(logs), "panic") {
		t.Errorf("logs mention a panic:\n%s", logs)
	}
}

// abandonAllocations makes n allocations that ask for no LIFETIME, each with
// a permission, a channel and one relayed packet, then drops their sockets.
func abandonAllocations(t *testing.T, ts *testServer, n int, peerPort uint16) {
	t.Helper()
	for i := range n {
		u, p := Credentials(ts.secret, "ghost"+strconv.Itoa(i), time.Hour, time.Now())
		c := newRawClient(t, net.UDPAddrFromAddrPort(ts.udpAddr), u, p)
		c.allocate()
		peer := xorPeer{family: 0x01, ip: loopback.AsSlice(), port: peerPort}
		if code := errorCode(c.request(stun.MethodChannelBind, channelNumber, peer)); code != 0 {
			t.Fatalf("channel bind: code %d", code)
		}
		c.send(peer, []byte("boo"))
		c.conn.Close()
	}
}

// waitBaseline polls until live() is 0 and goroutines and fds are within 5
// of the baseline, or fails after d.
func waitBaseline(t *testing.T, what string, d time.Duration, live func() int, baseG, baseFD int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		g, fd, l := runtime.NumGoroutine(), openFDs(t), live()
		if l == 0 && abs(g-baseG) <= 5 && abs(fd-baseFD) <= 5 {
			t.Logf("%s: %d goroutines (baseline %d), %d fds (baseline %d)", what, g, baseG, fd, baseFD)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not back to baseline after %s: live %d, %d goroutines (baseline %d), %d fds (baseline %d)",
				what, d, l, g, baseG, fd, baseFD)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return len(entries)
}

func abs(x int) int { return max(x, -x) }
