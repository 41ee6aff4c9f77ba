package certs

import (
	"conclave/internal/syncbuf"

	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// pebbleOptions configure the in-process pebble.
type pebbleOptions struct {
	alwaysValid bool   // the VA skips validation (PEBBLE_VA_ALWAYS_VALID)
	httpPort    int    // where the VA sends HTTP-01 requests
	tlsPort     int    // where the VA sends TLS-ALPN-01 handshakes
	resolver    string // TCP DNS server for the VA; "" = system resolver
	holdOrders  bool   // new-order requests wait for releaseOrders
}

// pebbleServer is pebble (db, ca, va, wfe, as cmd/pebble assembles them)
// behind an httptest TLS server on 127.0.0.1:0. The ACME API and the
// management API (/roots/0) share the listener.
type pebbleServer struct {
	DirectoryURL string // --acme-ca
	TLSRootFile  string // --acme-ca-root: the httptest server's certificate
	srv          *httptest.Server
	orders       atomic.Int64 // POSTs to new-order
	log          *syncbuf.Buffer
	hold         chan struct{} // closed by releaseOrders; nil = no hold
	release      sync.Once
}

// releaseOrders lets held new-order requests through.
func (p *pebbleServer) releaseOrders() {
	if p.hold != nil {
		p.release.Do(func() { close(p.hold) })
	}
}

// startPebble starts pebble. pebble reads its switches from the
// environment in va.New and wfe.New, hence t.Setenv (and no t.Parallel).
// One profile is configured so that pebble cannot pick the 6-day
// "shortlived" one at random (TESTPLAN fact 7); its validity is pebble's
// default, 90 days.
func startPebble(t *testing.T, opts pebbleOptions) *pebbleServer {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	if opts.alwaysValid {
		t.Setenv("PEBBLE_VA_ALWAYS_VALID", "1")
	} else {
		t.Setenv("PEBBLE_VA_ALWAYS_VALID", "0")
	}
	p := &pebbleServer{log: &syncbuf.Buffer{}}
	if opts.holdOrders {
		p.hold = make(chan struct{})
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", p.log.String())
		}
	})
	logger := log.New(p.log, "pebble ", log.Ltime|log.Lmicroseconds)
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "the only profile"}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	// va.New starts a task goroutine that pebble never stops; it is created
	// before any goroutine snapshot a test takes.
	validator := va.New(logger, opts.httpPort, opts.tlsPort, false, opts.resolver, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)

	api := front.Handler()
	mux := http.NewServeMux()
	mux.Handle(wfe.RootCertPath, front.ManagementHandler())
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			p.orders.Add(1)
			if p.hold != nil {
				select {
				case <-p.hold:
				case <-r.Context().Done():
					return
				}
			}
		}
		api.ServeHTTP(w, r)
	}))
	p.srv = httptest.NewUnstartedServer(mux)
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS probes of closed clients
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	t.Cleanup(p.releaseOrders) // runs first: held handlers must return for Close
	p.DirectoryURL = p.srv.URL + wfe.DirectoryPath
	p.TLSRootFile = filepath.Join(t.TempDir(), "pebble-https.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	if err := os.WriteFile(p.TLSRootFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rootPool fetches pebble's issuing root from the management API, as an
// operator would (GET /roots/0).
func (p *pebbleServer) rootPool(t *testing.T) *x509.CertPool {
	t.Helper()
	resp, err := p.srv.Client().Get(p.srv.URL + wfe.RootCertPath + "0")
	if err != nil {
		t.Fatalf("get pebble root: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("get pebble root: status %d, %v", resp.StatusCode, err)
	}
	return poolOf(t, body)
}

// acmeConfig is a Config for acme mode against p, with challenge ports.
func (p *pebbleServer) acmeConfig(t *testing.T, dir string, httpPort, tlsPort int) Config {
	t.Helper()
	return Config{
		DataDir:        dir,
		Mode:           ModeACME,
		Domains:        []string{"meet.test"},
		ACMECA:         p.DirectoryURL,
		ACMECARoot:     p.TLSRootFile,
		ACMEEmail:      "ops@meet.test",
		AltHTTPPort:    httpPort,
		AltTLSALPNPort: tlsPort,
		ACMEListenHost: "127.0.0.1",
		Hosts:          []string{"127.0.0.1"},
		Logger:         testLogger(t, "manager"),
	}
}

// startDNS serves A 127.0.0.1 for every name over TCP (pebble's VA queries
// its custom resolver over TCP), so that the VA reaches our listeners for
// meet.test.
func startDNS(t *testing.T) string {
	t.Helper()
	ln := listenLoopback(t)
	started := make(chan struct{})
	srv := &dns.Server{
		Listener:          ln,
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			reply := new(dns.Msg)
			reply.SetReply(r)
			for _, q := range r.Question {
				if q.Qtype == dns.TypeA && strings.HasSuffix(q.Name, "test.") {
					reply.Answer = append(reply.Answer, &dns.A{
						Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
						A:   net.IPv4(127, 0, 0, 1),
					})
				}
			}
			_ = w.WriteMsg(reply)
		}),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ActivateAndServe()
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("dns server did not start")
	}
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}
