package appliance_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"conclave/appliance"
	"conclave/internal/testenv"
)

// uclient runs coturn's turnutils_uclient, an independent TURN client,
// with a bounded time.
func uclient(t *testing.T, args ...string) (string, int) {
	t.Helper()
	path, err := exec.LookPath("turnutils_uclient")
	if err != nil {
		if testenv.ToolsRequired() {
			t.Fatal("turnutils_uclient not found: apt-get install coturn")
		}
		t.Skip("turnutils_uclient not found: apt-get install coturn (the service is not needed)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run uclient: %v", err)
	}
	return string(out), code
}

// TestTURNOverEveryTransportWithIndependentClient allocates with coturn's
// client over UDP and TCP on --turn and over TLS on the main TLS port
// (through the demux), using the credentials a participant would get.
func TestTURNOverEveryTransportWithIndependentClient(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	user, pass := a.TURNCredentials("uclient")
	turnPort := strconv.Itoa(a.TURNAddr().(*net.TCPAddr).Port)
	tlsPort := strconv.Itoa(a.HTTPSAddr().(*net.TCPAddr).Port)
	mediaPort := strconv.Itoa(a.MediaAddr().(*net.UDPAddr).Port)
	tests := []struct {
		name  string
		extra []string
		port  string
	}{
		{"UDP", nil, turnPort},
		{"TCP", []string{"-t"}, turnPort},
		{"TLS on the main port", []string{"-t", "-S"}, tlsPort},
	}
	// uclient waits out its timeout for echoes that never come; running the
	// transports side by side keeps the test at one wait.
	t.Run("transports", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				// The only peer the relay may reach is the SFU's media port; it
				// does not echo, so packets count as lost, but the allocation and
				// the permission must succeed.
				args := append([]string{"-u", user, "-w", pass, "-e", "127.0.0.1", "-r", mediaPort,
					"-n", "3", "-m", "1", "-l", "120", "-p", tt.port}, tt.extra...)
				out, code := uclient(t, append(args, "127.0.0.1")...)
				if code != 0 || strings.Contains(out, "Cannot complete Allocation") || strings.Contains(out, "error 403") {
					t.Fatalf("exit %d:\n%s", code, out)
				}
			})
		}
	})
	m := metrics(t, a)
	if !strings.Contains(m, `conclave_tls_port_connections_total{kind="turn_tls"}`) {
		t.Errorf("no TURN-over-TLS connection counted on the TLS port:\n%s", grepLines(m, "tls_port"))
	}
	// The start-up self-test makes one allocation, each uclient run at least one.
	if n := metricValue(t, m, "conclave_turn_allocations_total"); n < 4 {
		t.Errorf("got %v allocations, want at least 4:\n%s", n, grepLines(m, "conclave_turn_alloc"))
	}
}

// TestTURNRelayRefusesTheHost: the relay must not reach the appliance's own
// HTTPS port or anything but the SFU (TESTPLAN fact 4).
func TestTURNRelayRefusesTheHost(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	user, pass := a.TURNCredentials("prober")
	turnPort := strconv.Itoa(a.TURNAddr().(*net.TCPAddr).Port)
	for _, peer := range []string{"127.0.0.2", "0.0.0.0"} {
		out, code := uclient(t, "-u", user, "-w", pass, "-s", "-e", peer, "-n", "3", "-m", "1", "-p", turnPort, "127.0.0.1")
		if code == 0 || !strings.Contains(out, "403") {
			t.Errorf("peer %s: exit %d, want a 403 refusal:\n%s", peer, code, out)
		}
	}
	// Same IP as the SFU, another port: the HTTPS port stands for every
	// local service. The permission is for the IP, so it is granted, but the
	// relay must drop every packet.
	httpsPort := strconv.Itoa(a.HTTPSAddr().(*net.TCPAddr).Port)
	uclient(t, "-u", user, "-w", pass, "-e", "127.0.0.1", "-r", httpsPort, "-n", "3", "-m", "1", "-p", turnPort, "127.0.0.1")
	if m := metrics(t, a); !strings.Contains(m, `conclave_turn_denials_total{reason="peer_port"}`) {
		t.Errorf("packets to another port of the SFU's IP were not denied:\n%s", grepLines(m, "denials"))
	}
}

// inPrivateNetns reports whether this process runs in a network namespace
// with nothing but loopback (as .ci/run arranges with unshare -n): only
// there may a test add interfaces of its own.
func inPrivateNetns(t *testing.T) bool {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	return len(ifs) == 1 && ifs[0].Flags&net.FlagLoopback != 0
}

// TestTURNRefusesAVethPeer puts a UDP echo on a veth address inside the
// test's own network namespace and checks the relay cannot reach it: the
// LAN behind a server is as off-limits as its loopback.
func TestTURNRefusesAVethPeer(t *testing.T) {
	ipTool, err := exec.LookPath("ip")
	if err != nil || os.Geteuid() != 0 || !inPrivateNetns(t) {
		msg := "needs root, iproute2 and a private network namespace: unshare -n sh -c 'ip link set lo up; go test -run TestTURNRefusesAVethPeer ./appliance/'"
		if testenv.ToolsRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipTool, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("link", "add", "cvtest0", "type", "veth", "peer", "name", "cvtest1")
	t.Cleanup(func() { _ = exec.Command(ipTool, "link", "del", "cvtest0").Run() })
	ip("addr", "add", "10.200.0.1/24", "dev", "cvtest0")
	ip("addr", "add", "10.200.0.2/24", "dev", "cvtest1")
	ip("link", "set", "cvtest0", "up")
	ip("link", "set", "cvtest1", "up")

	echo, err := net.ListenPacket("udp4", "10.200.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	got := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case got <- struct{}{}:
			default:
			}
			_, _ = echo.WriteTo(buf[:n], from)
		}
	}()

	// Control: the peer is alive and answers a direct packet.
	direct, err := net.Dial("udp4", echo.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	direct.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := direct.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Read(make([]byte, 16)); err != nil {
		t.Fatalf("control: the veth peer does not echo: %v", err)
	}
	<-got

	a := testenv.StartAppliance(t, testenv.Options{})
	user, pass := a.TURNCredentials("lan-prober")
	turnPort := strconv.Itoa(a.TURNAddr().(*net.TCPAddr).Port)
	echoPort := strconv.Itoa(echo.LocalAddr().(*net.UDPAddr).Port)
	// -s uses CreatePermission (denied with 403); without it ChannelBind is
	// used, which pion denies with 401 (TESTPLAN fact 5): refused either way.
	out, code := uclient(t, "-s", "-u", user, "-w", pass, "-e", "10.200.0.2", "-r", echoPort, "-n", "3", "-m", "1", "-p", turnPort, "127.0.0.1")
	if code == 0 || !strings.Contains(out, "403") {
		t.Errorf("relay to the veth peer with CreatePermission: exit %d, want a 403 refusal:\n%s", code, out)
	}
	if out, code := uclient(t, "-u", user, "-w", pass, "-e", "10.200.0.2", "-r", echoPort, "-n", "3", "-m", "1", "-p", turnPort, "127.0.0.1"); code == 0 {
		t.Errorf("relay to the veth peer with ChannelBind: exit 0, want a refusal:\n%s", out)
	}
	select {
	case <-got:
		t.Error("a relayed packet reached the veth peer")
	default:
	}
}

// TestZeroConfigWildcardListeners binds every listener on all addresses,
// as `go run .` does, inside a namespace with nothing but loopback: the
// TURN self-test passes and two bots meet.
func TestZeroConfigWildcardListeners(t *testing.T) {
	if !inPrivateNetns(t) {
		msg := "binds all interfaces: run only in a private network namespace (unshare -n), as .ci/run does"
		if testenv.ToolsRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	a := testenv.StartAppliance(t, testenv.Options{Configure: func(c *appliance.Config) {
		c.HTTPSAddr, c.HTTPAddr, c.TURNAddr, c.MediaUDPAddr = ":0", ":0", ":0", ":0"
	}})
	alice := joinBot(t, a, "wild", "Alice", nil)
	bob := joinBot(t, a, "wild", "Bob", nil)
	waitMedia(t, alice, bob)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(a.Logs.String(), "turn relay self-test passed") {
		if time.Now().After(deadline) {
			t.Fatalf("TURN self-test did not pass:\n%s", grepLines(a.Logs.String(), "self-test"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
