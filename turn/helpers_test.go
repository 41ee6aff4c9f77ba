package turn

import (
	"conclave/internal/syncbuf"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// testServer is a Server on loopback sockets with one known secret.
type testServer struct {
	*Server
	secret  []byte
	udpAddr netip.AddrPort
	tcpAddr netip.AddrPort
	reg     *prometheus.Registry
	logs    *syncbuf.Buffer
}

// startServer starts a Server on 127.0.0.1 UDP and TCP with random ports.
// By default the only allowed peer is 127.0.0.1:9 (discard), which no test
// reaches; edit lets a test change anything before New.
func startServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{secret: []byte("test-secret-0123456789"), reg: prometheus.NewRegistry(), logs: &syncbuf.Buffer{}}
	cfg := Config{
		Logger:       slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer:   ts.reg,
		UDPConn:      udp,
		TCPListener:  tcp,
		Realm:        "test.realm",
		Secrets:      func() [][]byte { return [][]byte{ts.secret} },
		RelayIP:      loopback,
		AllowedPeers: []netip.AddrPort{netip.AddrPortFrom(loopback, 9)},
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		udp.Close()
		tcp.Close()
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ts.Server = srv
	ts.udpAddr = mustAddrPort(t, udp.LocalAddr())
	ts.tcpAddr = mustAddrPort(t, tcp.Addr())
	return ts
}

func mustAddrPort(t testing.TB, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, ok := addrPortOf(a)
	if !ok {
		t.Fatalf("address %v is not IP", a)
	}
	return ap
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// needTool fails the test if a coturn client tool is missing: .ci/run
// installs the coturn package, so absence is a broken environment.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (apt-get install -y coturn; do not start its service): %v", name, err)
	}
	return p
}

// startPeer runs turnutils_peer (a UDP echo) on 127.0.0.1 and waits until
// it holds its port. The port was free a moment before, so a peer that dies
// at once (port taken meanwhile) is retried on another port.
func startPeer(t testing.TB) int {
	t.Helper()
	bin := needTool(t, "turnutils_peer")
	var failures []string
	for range 3 {
		port, err := tryPeer(t, bin)
		if err == nil {
			return port
		}
		failures = append(failures, err.Error())
	}
	t.Fatalf("turnutils_peer did not start: %s", strings.Join(failures, "; "))
	return 0
}

func tryPeer(t testing.TB, bin string) (int, error) {
	port := freeUDPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncbuf.Buffer
	cmd := exec.CommandContext(ctx, bin, "-L", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cancel()
		<-exited
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			cancel()
			return 0, fmt.Errorf("port %d: exited (%v): %s", port, err, out.String())
		default:
		}
		c, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Cleanup(stop)
			return port, nil // bound by the peer
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return 0, fmt.Errorf("port %d: not bound after 10 s: %s", port, out.String())
}

// ucResult is what a turnutils_uclient run produced.
type ucResult struct {
	exit     int
	out      string
	lost     int64 // "Total lost packets N"; -1 if absent
	sendMsgs int64 // "tot_send_msgs=N"; -1 if absent
	recvMsgs int64 // "tot_recv_msgs=N"; -1 if absent
}

var (
	reLost = regexp.MustCompile(`Total lost packets (\d+)`)
	reSend = regexp.MustCompile(`tot_send_msgs=(\d+)`)
	reRecv = regexp.MustCompile(`tot_recv_msgs=(\d+)`)
)

// uclient runs turnutils_uclient with args, bounded by timeout, and parses
// its counters.
func uclient(t *testing.T, timeout time.Duration, args ...string) ucResult {
	t.Helper()
	return uclientAll(t, timeout, args)[0]
}

// uclientAll runs several turnutils_uclient processes at once (they mostly
// wait on timers, so this saves wall time, not CPU).
func uclientAll(t *testing.T, timeout time.Duration, runs ...[]string) []ucResult {
	t.Helper()
	return uclientRuns(t, timeout, false, runs)
}

// uclientAbuse runs uclient's hostile modes at once; a run still going at
// timeout is killed (-R can wait forever on a reply to a malformed request).
func uclientAbuse(t *testing.T, timeout time.Duration, runs ...[]string) {
	t.Helper()
	uclientRuns(t, timeout, true, runs)
}

func uclientRuns(t *testing.T, timeout time.Duration, killLate bool, runs [][]string) []ucResult {
	t.Helper()
	bin := needTool(t, "turnutils_uclient")
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	results := make([]ucResult, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, args := range runs {
		wg.Go(func() { results[i], errs[i] = runUclient(ctx, bin, args) })
	}
	wg.Wait()
	for i, err := range errs {
		if killLate && errors.Is(err, context.DeadlineExceeded) {
			t.Logf("uclient %v killed after %s", runs[i], timeout)
			continue
		}
		if err != nil {
			t.Fatalf("uclient %v: %v", runs[i], err)
		}
	}
	return results
}

func runUclient(ctx context.Context, bin string, args []string) (ucResult, error) {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	r := ucResult{out: string(out), lost: lastInt(reLost, out), sendMsgs: lastInt(reSend, out), recvMsgs: lastInt(reRecv, out)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("timed out: %w\n%s", ctx.Err(), out)
	case err == nil:
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	default:
		return r, err
	}
	return r, nil
}

func lastInt(re *regexp.Regexp, out []byte) int64 {
	m := re.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return -1
	}
	n, err := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// port formats an AddrPort's port for a -p flag.
func port(ap netip.AddrPort) string { return strconv.Itoa(int(ap.Port())) }
