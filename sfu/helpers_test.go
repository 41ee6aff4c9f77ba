package sfu

import (
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// newTestSFU starts an SFU on a loopback UDP socket behind an httptest
// server and returns it with its ws:// URL. Both are closed at cleanup.
func newTestSFU(t testing.TB, cfg Config) (*SFU, string) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.UDPConn = conn
	cfg.HostIPs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	s, err := New(cfg)
	if err != nil {
		_ = conn.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sfu: %v", err)
		}
		srv.Close()
	})
	return s, "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// testLogger logs to stderr with CONCLAVE_TEST_LOG=1, else nowhere.
func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if os.Getenv("CONCLAVE_TEST_LOG") != "" {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// counterValue reads a counter.
func counterValue(t testing.TB, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// eventually polls cond every 20 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
