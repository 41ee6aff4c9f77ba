// Package testenv starts real Conclave parts for integration tests: the
// whole appliance in-process on loopback with random ports and a temporary
// data directory, and a headless Chromium to look at it. Every integration
// test starts them the same way, through this package.
package testenv

import (
	"conclave/internal/syncbuf"

	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"conclave/appliance"
)

// Options change how StartAppliance configures the appliance.
type Options struct {
	// DataDir reuses a data directory (restart tests); default t.TempDir().
	DataDir string
	// Configure edits the configuration after the loopback defaults are set.
	Configure func(*appliance.Config)
}

// Appliance is a running in-process appliance. Stop it with Stop, or let
// the test's cleanup do it.
type Appliance struct {
	*appliance.Appliance
	Config  appliance.Config
	URL     string         // https://127.0.0.1:PORT
	HTTPURL string         // http://127.0.0.1:PORT, "" with --http off
	Roots   *x509.CertPool // the built-in CA's root, nil without one
	Client  *http.Client   // trusts Roots and nothing else
	Stdout  *SyncBuffer    // what the appliance printed (the banner)
	Logs    *SyncBuffer    // its log, text format, debug level

	cancel  context.CancelFunc
	done    chan struct{}
	runErr  error
	stopped sync.Once
}

// LoopbackConfig is a configuration whose every listener is on 127.0.0.1
// with a random port, so tests never touch other interfaces or fixed ports.
func LoopbackConfig(dataDir string) appliance.Config {
	return appliance.Config{
		DataDir:      dataDir,
		HTTPSAddr:    "127.0.0.1:0",
		HTTPAddr:     "127.0.0.1:0",
		TURNAddr:     "127.0.0.1:0",
		MediaUDPAddr: "127.0.0.1:0",
		MetricsAddr:  "127.0.0.1:0",
		TLSMode:      "internal",
		LogLevel:     "debug",
	}
}

// StartAppliance builds and runs an appliance and waits until it serves.
func StartAppliance(t testing.TB, o Options) *Appliance {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	cfg := LoopbackConfig(o.DataDir)
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	ta := &Appliance{Config: cfg, Stdout: &SyncBuffer{}, Logs: &SyncBuffer{}, done: make(chan struct{})}
	logger := slog.New(slog.NewTextHandler(ta.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := appliance.New(t.Context(), cfg, logger, ta.Stdout)
	if err != nil {
		t.Fatalf("start appliance: %v", err)
	}
	ta.Appliance = a
	ta.URL = "https://" + dialable(a.HTTPSAddr())
	if addr := a.HTTPAddr(); addr != nil {
		ta.HTTPURL = "http://" + dialable(addr)
	}
	if root := a.RootPEM(); root != nil {
		ta.Roots = x509.NewCertPool()
		if !ta.Roots.AppendCertsFromPEM(root) {
			t.Fatal("built-in CA root is not valid PEM")
		}
	}
	ta.Client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ta.Roots}, ForceAttemptHTTP2: true}}
	ctx, cancel := context.WithCancel(context.Background())
	ta.cancel = cancel
	go func() {
		defer close(ta.done)
		ta.runErr = a.Run(ctx)
	}()
	t.Cleanup(func() {
		if err := ta.Stop(); err != nil {
			t.Errorf("appliance stopped with error: %v", err)
		}
		if t.Failed() {
			t.Logf("appliance log:\n%s", ta.Logs.String())
		}
	})
	ta.waitHealthy(t)
	return ta
}

// dialable is host:port of a listener for a local client: a wildcard
// address is reached on 127.0.0.1.
func dialable(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return addr.String()
}

// waitHealthy polls /healthz until it answers, up to 10 s.
func (ta *Appliance) waitHealthy(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := ta.Client.Get(ta.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("appliance not healthy after 10 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the appliance down and returns what Run returned. It waits at
// most 20 s, twice the appliance's own shutdown bound.
func (ta *Appliance) Stop() error {
	ta.stopped.Do(func() {
		ta.cancel()
		select {
		case <-ta.done:
		case <-time.After(20 * time.Second):
			ta.runErr = context.DeadlineExceeded
		}
		ta.Client.CloseIdleConnections()
	})
	return ta.runErr
}

// SyncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type SyncBuffer = syncbuf.Buffer

// ToolsRequired reports whether tests must fail, not skip, when an external
// tool (chromium, turnutils_uclient) is missing: CI sets
// CONCLAVE_REQUIRE_BROWSER=1 after installing them.
func ToolsRequired() bool { return os.Getenv("CONCLAVE_REQUIRE_BROWSER") == "1" }
