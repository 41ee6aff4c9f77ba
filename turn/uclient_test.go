package turn

// Tests that drive the server with coturn's turnutils_uclient (TESTPLAN T1–T3,
// T6, T8, T12). Each asserts the exit code and the numbers uclient prints,
// plus our own counters, never uclient's chatter alone. They run as a
// separate process against 127.0.0.1 with random ports.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

const ucTimeout = 60 * time.Second

// allowLoopback is the T1/T2 test-only escape hatch: relay to 127.0.0.1.
func allowLoopback(c *Config) { c.TestAllowPeerIPs = []netip.Addr{loopback} }

// wantRelayed asserts a run that must have relayed every packet both ways.
func wantRelayed(t *testing.T, name string, r ucResult) {
	t.Helper()
	if r.exit != 0 || r.lost != 0 || r.sendMsgs <= 0 || r.sendMsgs != r.recvMsgs {
		t.Errorf("%s: exit %d, lost %d, sent %d, received %d; want exit 0, lost 0, sent == received > 0\n%s",
			name, r.exit, r.lost, r.sendMsgs, r.recvMsgs, r.out)
	}
}

// T1: long-term credentials (a minted REST pair passed as -u/-w) to a
// turnutils_peer echo, allowed only through TestAllowPeerIPs.
func TestUclientLongTerm(t *testing.T) {
	peer := startPeer(t)
	ts := startServer(t, allowLoopback)
	u, p := Credentials(ts.secret, "alice", time.Hour, time.Now())
	r := uclient(t, ucTimeout, "-u", u, "-w", p, "-e", "127.0.0.1", "-r", strconv.Itoa(peer),
		"-n", "20", "-m", "2", "-l", "170", "-z", "5", "-p", port(ts.udpAddr), "127.0.0.1")
	wantRelayed(t, "T1", r)
	if !strings.Contains(r.out, "Total lost packets 0") {
		t.Errorf("T1: no %q in output", "Total lost packets 0")
	}
	if got := counterValue(ts.metrics.packetsToPeer); got < float64(r.sendMsgs) {
		t.Errorf("T1: relayed to peer %v packets, uclient sent %d", got, r.sendMsgs)
	}
}

// T2: uclient computes REST credentials itself from -W; UDP, client-to-
// client (-y), TCP (-t), and TLS (-t -S) both through Config.TLSListener and
// through HandleTLSConn (the TLS-port demux path).
func TestUclientREST(t *testing.T) {
	peer := strconv.Itoa(startPeer(t))
	tlsCfg := selfSignedTLS(t)
	tlsLn := listenTCP(t)
	ts := startServer(t, func(c *Config) {
		allowLoopback(c)
		c.TLSListener = tls.NewListener(tlsLn, tlsCfg)
	})
	handoff := startHandoff(t, ts.Server, tlsCfg)
	secret := string(ts.secret)
	common := func(user string, extra ...string) []string {
		return append(extra, "-W", secret, "-u", user, "-e", "127.0.0.1", "-r", peer, "-n", "10", "-z", "5")
	}
	tlsPort := strconv.Itoa(tlsLn.Addr().(*net.TCPAddr).Port)
	runs := []struct {
		name string
		args []string
	}{
		{"udp", append(common("bob", "-m", "2"), "-p", port(ts.udpAddr), "127.0.0.1")},
		{"udp client-to-client", append(common("carol", "-y"), "-p", port(ts.udpAddr), "127.0.0.1")},
		{"tcp", append(common("dave", "-t"), "-p", port(ts.tcpAddr), "127.0.0.1")},
		{"tls listener", append(common("erin", "-t", "-S"), "-p", tlsPort, "127.0.0.1")},
		{"tls handoff", append(common("frank", "-t", "-S"), "-p", strconv.Itoa(handoff), "127.0.0.1")},
	}
	args := make([][]string, len(runs))
	for i, r := range runs {
		args[i] = r.args
	}
	for i, r := range uclientAll(t, ucTimeout, args...) {
		wantRelayed(t, "T2 "+runs[i].name, r)
	}
}

// T3 and the REST window through the wire: wrong password, wrong secret,
// expired and over-long credentials fail, are counted, and allocate nothing.
func TestUclientBadCredentials(t *testing.T) {
	ts := startServer(t, allowLoopback)
	now := time.Now()
	_, goodPass := Credentials(ts.secret, "alice", time.Hour, now)
	expiredUser, expiredPass := Credentials(ts.secret, "alice", -time.Minute, now)
	farUser := "4102444800:alice"
	farPass := restPassword(ts.secret, farUser)
	okUser, _ := Credentials(ts.secret, "alice", time.Hour, now)
	target := []string{"-e", "127.0.0.1", "-n", "3", "-p", port(ts.udpAddr), "127.0.0.1"}
	runs := []struct {
		name   string
		args   []string
		reason string
	}{
		{"wrong password", append([]string{"-u", okUser, "-w", "WRONG" + goodPass}, target...), authIntegrity},
		{"wrong secret", append([]string{"-W", "WRONGSECRET", "-u", "bob"}, target...), authIntegrity},
		{"expired", append([]string{"-u", expiredUser, "-w", expiredPass}, target...), authExpired},
		{"year 2100", append([]string{"-u", farUser, "-w", farPass}, target...), authExpiryTooFar},
		{"no expiry", append([]string{"-u", "alice", "-w", goodPass}, target...), authMalformed},
	}
	args := make([][]string, len(runs))
	for i, r := range runs {
		args[i] = r.args
	}
	for i, r := range uclientAll(t, ucTimeout, args...) {
		name := runs[i].name
		if r.exit == 0 || !strings.Contains(r.out, "Cannot complete Allocation") {
			t.Errorf("%s: exit %d; want non-zero with %q\n%s", name, r.exit, "Cannot complete Allocation", r.out)
		}
		if got := counterValue(ts.metrics.authFailures.WithLabelValues(runs[i].reason)); got < 1 {
			t.Errorf("%s: auth failures{%s} = %v, want >= 1", name, runs[i].reason, got)
		}
	}
	if n := ts.Allocations(); n != 0 {
		t.Errorf("allocations = %d, want 0", n)
	}
	if got := counterValue(ts.metrics.allocated); got != 0 {
		t.Errorf("allocations created = %v, want 0", got)
	}
}

// T6 through uclient, in production mode (the SFU is elsewhere): loopback,
// the unspecified address and another loopback address are refused, with
// 403 on CreatePermission (-s) and an error on ChannelBind (pion v5.1.3
// answers 401 there, TESTPLAN fact 5, so only the exit code is asserted).
func TestUclientDeniedPeers(t *testing.T) {
	peer := strconv.Itoa(startPeer(t))
	ts := startServer(t, func(c *Config) { c.AllowedPeers = []netip.AddrPort{sfuMedia} })
	type run struct {
		peer string
		send bool
	}
	var runs []run
	var args [][]string
	for i, p := range []string{"127.0.0.1", "0.0.0.0", "127.0.0.2"} {
		for _, send := range []bool{true, false} {
			a := []string{"-W", string(ts.secret), "-u", "bob" + strconv.Itoa(i), "-e", p, "-r", peer, "-n", "3",
				"-p", port(ts.udpAddr), "127.0.0.1"}
			if send {
				a = append([]string{"-s"}, a...)
			}
			runs = append(runs, run{p, send})
			args = append(args, a)
		}
	}
	for i, r := range uclientAll(t, ucTimeout, args...) {
		if r.exit == 0 {
			t.Errorf("peer %s (send %v): exit 0, want non-zero\n%s", runs[i].peer, runs[i].send, r.out)
		}
		if runs[i].send && !strings.Contains(r.out, "create permission error 403") {
			t.Errorf("peer %s: no 403 on CreatePermission\n%s", runs[i].peer, r.out)
		}
	}
	for _, class := range []string{"loopback", "unspecified"} {
		if got := counterValue(ts.metrics.denials.WithLabelValues("peer_" + class)); got < 1 {
			t.Errorf("denials{peer_%s} = %v, want >= 1", class, got)
		}
	}
	if got := counterValue(ts.metrics.bytesToPeer); got != 0 {
		t.Errorf("relayed %v bytes to denied peers", got)
	}
}

// T6, same IP other port: the SFU is on 127.0.0.1 (one port), so a
// permission for 127.0.0.1 is granted, yet nothing reaches turnutils_peer on
// another port or the server's own TCP port (standing in for the admin
// panel): the relay socket drops it and uclient hears no echo.
func TestUclientOtherPortDropped(t *testing.T) {
	peer := strconv.Itoa(startPeer(t))
	sfu := listenUDP(t)
	ts := startServer(t, func(c *Config) { c.AllowedPeers = []netip.AddrPort{mustAddrPort(t, sfu.LocalAddr())} })
	var args [][]string
	for i, p := range []string{peer, port(ts.tcpAddr)} {
		args = append(args, []string{"-s", "-W", string(ts.secret), "-u", "eve" + strconv.Itoa(i), "-e", "127.0.0.1",
			"-r", p, "-n", "3", "-z", "5", "-p", port(ts.udpAddr), "127.0.0.1"})
	}
	for i, r := range uclientAll(t, ucTimeout, args...) {
		if r.sendMsgs <= 0 || r.recvMsgs != 0 || r.lost != r.sendMsgs {
			t.Errorf("run %d: sent %d, received %d, lost %d; want sent > 0, received 0, all lost\n%s",
				i, r.sendMsgs, r.recvMsgs, r.lost, r.out)
		}
	}
	if got := counterValue(ts.metrics.deniedPort); got < 2 {
		t.Errorf("peer_port denials = %v, want >= 2", got)
	}
	if got := counterValue(ts.metrics.bytesToPeer); got != 0 {
		t.Errorf("relayed %v bytes to another port", got)
	}
}

// T8: per-user, per-IP and global quotas answer 486 for the overflow only
// (-c: one allocation per client, so -m 4 asks for 4).
func TestUclientQuota(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Config)
		reason string
		want   float64 // allocations that may be created
	}{
		{"user", func(c *Config) { c.UserQuota = 2 }, quotaUser, 2},
		{"ip", func(c *Config) { c.IPQuota = 2 }, quotaIP, 2},
		{"global", func(c *Config) { c.GlobalQuota = 3 }, quotaGlobal, 3},
	}
	servers := make([]*testServer, len(tests))
	args := make([][]string, len(tests))
	for i, tt := range tests {
		servers[i] = startServer(t, func(c *Config) { allowLoopback(c); tt.edit(c) })
		args[i] = []string{"-c", "-W", string(servers[i].secret), "-u", "carol", "-e", "127.0.0.1",
			"-n", "5", "-m", "4", "-p", port(servers[i].udpAddr), "127.0.0.1"}
	}
	for i, r := range uclientAll(t, ucTimeout, args...) {
		tt, ts := tests[i], servers[i]
		if r.exit == 0 || !strings.Contains(r.out, "error 486") {
			t.Errorf("%s: exit %d; want non-zero with error 486\n%s", tt.name, r.exit, r.out)
		}
		if got := counterValue(ts.metrics.denials.WithLabelValues(tt.reason)); got < 1 {
			t.Errorf("%s: denials{%s} = %v, want >= 1", tt.name, tt.reason, got)
		}
		if got := counterValue(ts.metrics.allocated); got != tt.want {
			t.Errorf("%s: allocations created = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// T12: TCP relay (RFC 6062) is off: uclient -T fails and nothing is allocated.
func TestUclientTCPRelayDisabled(t *testing.T) {
	ts := startServer(t, allowLoopback)
	r := uclient(t, ucTimeout, "-T", "-W", string(ts.secret), "-u", "x", "-n", "3", "-m", "1",
		"-p", port(ts.tcpAddr), "127.0.0.1")
	if r.exit == 0 {
		t.Errorf("uclient -T: exit 0, want non-zero\n%s", r.out)
	}
	if got := counterValue(ts.metrics.denials.WithLabelValues("tcp_relay")); got < 1 {
		t.Errorf("denials{tcp_relay} = %v, want >= 1", got)
	}
	if n := ts.Allocations(); n != 0 {
		t.Errorf("allocations = %d, want 0", n)
	}
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// startHandoff plays the TLS-port demux: it completes the TLS handshake and
// hands the connection to Server.HandleTLSConn. It returns the port.
func startHandoff(t *testing.T, srv *Server, cfg *tls.Config) int {
	t.Helper()
	ln := listenTCP(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := tls.Server(c, cfg)
			if err := tc.HandshakeContext(t.Context()); err != nil {
				tc.Close()
				continue
			}
			srv.HandleTLSConn(tc)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// selfSignedTLS returns a server config with a fresh self-signed certificate
// (uclient does not verify it unless given -E).
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "turn.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	}
}

// T13 (short form): with a 5-port relay range, allocations beyond it get 508
// Insufficient Capacity and the server keeps answering.
func TestUclientPortExhaustion(t *testing.T) {
	lo := 50000 + int(time.Now().UnixNano()%10000)
	ts := startServer(t, func(c *Config) {
		allowLoopback(c)
		c.UserQuota = -1
		c.RelayPortMin, c.RelayPortMax = lo, lo+4
	})
	r := uclient(t, ucTimeout, "-c", "-W", string(ts.secret), "-u", "many", "-e", "127.0.0.1", "-n", "3", "-m", "8",
		"-p", port(ts.udpAddr), "127.0.0.1")
	if r.exit == 0 || !strings.Contains(r.out, "error 508") {
		t.Errorf("exit %d; want non-zero with error 508\n%s", r.exit, r.out)
	}
	if n := ts.Allocations(); n > 5 {
		t.Errorf("allocations = %d with a 5-port range", n)
	}
	u, p := Credentials(ts.secret, "probe", time.Hour, time.Now())
	c := newRawClient(t, net.UDPAddrFromAddrPort(ts.udpAddr), u, p)
	if code := errorCode(c.request(stun.MethodAllocate, requestedUDP)); code != stun.CodeInsufficientCapacity && code != 0 {
		t.Errorf("allocate on a full range: code %d, want 508 or success", code)
	}
}
