package certs

import (
	"conclave/internal/syncbuf"

	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// testLogger returns a debug logger whose output is shown only on failure.
func testLogger(t *testing.T, name string) *slog.Logger {
	t.Helper()
	buf := &syncbuf.Buffer{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("CERTS_TEST_LOG") != "" {
			t.Logf("%s log:\n%s", name, buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// internalConfig is a Config for the built-in CA on loopback.
func internalConfig(t *testing.T, dir string) Config {
	t.Helper()
	return Config{
		DataDir: dir,
		Mode:    ModeInternal,
		Hosts:   []string{"127.0.0.1", "::1", "box.test"},
		Logger:  testLogger(t, "manager"),
	}
}

// newManager calls New and registers Close.
func newManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// serveHTTPS serves m's TLS config on ln (or a new 127.0.0.1:0 listener)
// and returns the address.
func serveHTTPS(t *testing.T, m *Manager, ln net.Listener) string {
	t.Helper()
	if ln == nil {
		ln = listenLoopback(t)
	}
	srv := &http.Server{
		Handler:           http.NotFoundHandler(),
		TLSConfig:         m.TLSConfig(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // handshakes tests abort on purpose
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeTLS(ln, "", "")
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// serveHTTP serves h on ln until the test ends.
func serveHTTP(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port %q: %v", p, err)
	}
	return n
}

// handshake dials addr and completes a TLS handshake. With roots nil the
// chain is not verified (to inspect what is served); otherwise it must
// verify for serverName, or for the IP of addr when serverName is "".
func handshake(ctx context.Context, addr, serverName string, roots *x509.CertPool, protos []string) (tls.ConnectionState, error) {
	cfg := &tls.Config{ServerName: serverName, RootCAs: roots, NextProtos: protos, InsecureSkipVerify: roots == nil}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// mustHandshake is handshake that fails the test on error.
func mustHandshake(t *testing.T, addr, serverName string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	cs, err := handshake(t.Context(), addr, serverName, roots, nil)
	if err != nil {
		t.Fatalf("handshake with %s (SNI %q): %v", addr, serverName, err)
	}
	return cs.PeerCertificates[0]
}

func poolOf(t *testing.T, pemData []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemData) {
		t.Fatalf("no certificate in PEM %q", pemData)
	}
	return p
}

// waitFor polls cond every 20 ms until it holds or timeout passes; it
// returns how long that took.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		select {
		case <-tick.C:
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for %s", what)
		}
	}
	return time.Since(start)
}

// goroutineStacks maps goroutine IDs to their stacks.
func goroutineStacks() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		id, _, ok := strings.Cut(strings.TrimPrefix(g, "goroutine "), " ")
		if ok {
			out[id] = g
		}
	}
	return out
}

// checkGoroutines snapshots the goroutines and registers a cleanup, run
// after every later one (servers, Managers), that fails the test if
// goroutines started since then are still running after a bounded wait.
// The wait covers certmagic's lock-file keepalive, which notices a released
// lock only every 5 s. Stacks containing an ignore string are allowed.
func checkGoroutines(t *testing.T, ignore ...string) {
	t.Helper()
	before := goroutineStacks()
	t.Cleanup(func() {
		start := time.Now()
		for {
			var leaked []string
			for id, s := range goroutineStacks() {
				if _, ok := before[id]; !ok && !containsAny(s, ignore) {
					leaked = append(leaked, s)
				}
			}
			if len(leaked) == 0 {
				t.Logf("goroutines back to baseline %v after cleanup", time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > 12*time.Second {
				t.Errorf("%d goroutines still running after Close:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// flagsOf lists the flags named by a Validate error, in order.
func flagsOf(err error) []string {
	var flags []string
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return nil
	}
	for _, e := range joined.Unwrap() {
		var fe *FlagError
		if errors.As(e, &fe) {
			flags = append(flags, fe.Flag)
		}
	}
	return flags
}

// series returns the samples of one metric family from reg.
func series(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}
