// Package appliance wires Conclave together: configuration, the data
// directory, TLS, listeners and the HTTP router, and the order in which all
// of it starts and stops. It is the only package that imports the others.
package appliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"conclave/admin"
	"conclave/appliance/internal/certs"
	"conclave/sfu"
	"conclave/turn"
	"conclave/web"
)

// setupTokenTTL is how long the first-run admin link works. It is
// regenerated on every start while no admin exists.
const setupTokenTTL = time.Hour

// shutdownTimeout bounds a graceful stop; systemd's TimeoutStopSec is above it.
const shutdownTimeout = 10 * time.Second

// Appliance is one running Conclave. Build it with New, then call Run once;
// Run releases everything New acquired.
type Appliance struct {
	cfg     Config
	logger  *slog.Logger
	out     io.Writer // the start-up banner, for the person at the console
	version string
	started time.Time

	lock     *dataLock
	store    *admin.Store
	admin    *admin.Admin
	certs    *certs.Manager
	registry *prometheus.Registry

	sfu         *sfu.SFU
	turn        *turn.Server
	iceTCP      *chanListener // RFC 4571 connections from the demux to the SFU
	turnSecrets *turnSecrets
	mediaAddr   net.Addr
	turnAddr    net.Addr

	httpsLn, httpLn, metricsLn net.Listener
	setupToken                 string
}

// New validates cfg, opens the data directory, the database and TLS, and
// binds every listener, so that all configuration and port problems surface
// before Run. On error, whatever was opened is closed again.
func New(ctx context.Context, cfg Config, logger *slog.Logger, out io.Writer) (_ *Appliance, err error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Appliance{cfg: cfg, logger: logger, out: out, version: Version(), started: time.Now(),
		registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.closeAll(slog.LevelDebug) // the error says it all; keep the console to one line
		}
	}()
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if a.store, err = admin.OpenStore(ctx, filepath.Join(cfg.DataDir, dbFile)); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if a.setupToken, err = a.store.EnsureSetupToken(ctx, filepath.Join(cfg.DataDir, setupTokenFile), setupTokenTTL); err != nil {
		return nil, fmt.Errorf("first-run setup token: %w", err)
	}
	a.admin, err = admin.New(admin.Config{Logger: logger.With("component", "admin"),
		SetupTokenFile: filepath.Join(cfg.DataDir, setupTokenFile), TURNCredentials: a.turnGrant,
		Meetings: meetings{a}, Health: a.health, TURNSecretRotated: a.reloadTURNSecret}, a.store)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if err := a.listen(); err != nil {
		return nil, err
	}
	a.registry.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo(a.version))
	a.certs, err = certs.New(ctx, a.cfg.certsRuntimeConfig(a.tlsHosts(), tlsRuntime{
		logger: logger.With("component", "tls"), registerer: a.registry,
		httpPort: portOf(a.httpLn), httpsPort: portOf(a.httpsLn)}))
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if err := a.startMedia(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// listen binds the TCP listeners. The TURN and media sockets are bound by
// their own components.
func (a *Appliance) listen() error {
	var err error
	if a.httpsLn, err = listenTCP("https", a.cfg.HTTPSAddr); err != nil {
		return err
	}
	if a.cfg.HTTPAddr != addrOff {
		if a.httpLn, err = listenTCP("http", a.cfg.HTTPAddr); err != nil {
			return err
		}
	}
	if a.cfg.MetricsAddr != addrOff {
		if a.metricsLn, err = listenTCP("metrics", a.cfg.MetricsAddr); err != nil {
			return err
		}
	}
	return nil
}

// Run serves until ctx is done, then shuts down in the reverse order of
// start (STYLE.md B.7) within shutdownTimeout. It returns nil on a clean stop.
func (a *Appliance) Run(ctx context.Context) error {
	defer a.closeAll(slog.LevelInfo)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	dm := newDemux(a.httpsLn, withTURNALPN(a.certs.TLSConfig()), a.logger.With("component", "demux"), a.registry)
	dm.iceTCP = func(c net.Conn) { a.iceTCP.deliver(ctx, c) }
	dm.turnTLS = a.turn.HandleTLSConn
	servers := a.httpServers(dm)

	var wg sync.WaitGroup
	demuxCtx, stopDemux := context.WithCancel(context.Background())
	defer stopDemux()
	wg.Go(func() { dm.run(demuxCtx) })
	for _, s := range servers {
		wg.Go(func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cancel(fmt.Errorf("serve %s: %w", s.name, err))
			}
		})
	}
	wg.Go(func() { a.selfTestTURN(ctx) })
	wg.Go(func() { a.turnSecrets.reloadLoop(ctx, a.logger.With("component", "turn")) })
	a.printBanner()
	a.logger.Info("conclave is running", slog.String("version", a.version),
		slog.String("https", a.httpsLn.Addr().String()), slog.String("tls_mode", string(a.certs.Status().Mode)))

	<-ctx.Done()
	a.logger.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer scancel()
	// Open dashboards hold event streams that Shutdown would wait for.
	a.admin.Close()
	for _, s := range servers {
		if err := s.srv.Shutdown(sctx); err != nil {
			a.logger.Warn("http shutdown", slog.String("server", s.name), slog.Any("err", err))
			s.srv.Close()
		}
	}
	stopDemux()
	wg.Wait()
	a.logger.Info("http servers stopped")
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// httpServers builds the HTTP servers: HTTPS and the redirect for clear
// HTTP on the TLS port (both fed by the demux), the plain HTTP port and
// metrics.
func (a *Appliance) httpServers(dm *demux) []*server {
	var caCert http.Handler
	if root := a.certs.RootPEM(); root != nil {
		caCert = caCertHandler(root)
	}
	router := newRouter(routerParts{web: web.Handler(), admin: a.admin.Handler(), api: a.admin.APIHandler(),
		signal: a.sfu.Handler(), netCheck: a.netCheckHandler(),
		health: a.healthHandler(),
		caCert: caCert, publiclyTrusted: a.certs.PubliclyTrusted, domains: a.cfg.Domains, logger: a.logger.With("component", "http"),
		embedOrigins: a.admin.EmbedOrigins})

	servers := []*server{
		{name: "https", srv: a.newHTTPServer(router), ln: dm.http},
		{name: "https-redirect", srv: a.newHTTPServer(httpsRedirect(portOf(a.httpsLn))), ln: dm.redirect},
	}
	if a.httpLn != nil {
		h := a.certs.HTTPChallengeHandler(plainHTTPHandler(portOf(a.httpsLn), caCert))
		servers = append(servers, &server{name: "http", srv: a.newHTTPServer(h), ln: a.httpLn})
	}
	if a.metricsLn != nil {
		servers = append(servers, &server{name: "metrics", srv: a.newHTTPServer(metricsHandler(a.registry)), ln: a.metricsLn})
	}
	return servers
}

// server is one http.Server and what it serves.
type server struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// newHTTPServer sets the timeouts of STYLE.md B.7: no global WriteTimeout,
// since WebSockets live for hours.
func (a *Appliance) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.With("component", "http").Handler(), slog.LevelDebug),
	}
}

// closeAll releases what New acquired, in reverse order; safe on a partly
// built Appliance. Each step is logged at level.
func (a *Appliance) closeAll(level slog.Level) {
	ctx := context.Background()
	for _, ln := range []net.Listener{a.httpsLn, a.httpLn, a.metricsLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if err := a.closeMedia(); err != nil {
		a.logger.Warn("close media", slog.Any("err", err))
	} else {
		a.logger.Log(ctx, level, "media stopped")
	}
	if a.certs != nil {
		if err := a.certs.Close(); err != nil {
			a.logger.Warn("close tls", slog.Any("err", err))
		} else {
			a.logger.Log(ctx, level, "certificate manager stopped")
		}
		a.certs = nil
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.logger.Error("close database", slog.Any("err", err))
		} else {
			a.logger.Log(ctx, level, "database closed")
		}
		a.store = nil
	}
	if err := a.lock.release(); err != nil {
		a.logger.Warn("release data dir lock", slog.Any("err", err))
	}
}

// HTTPSAddr is the bound address of the TLS port (useful with port 0).
func (a *Appliance) HTTPSAddr() net.Addr { return a.httpsLn.Addr() }

// HTTPAddr is the bound plain HTTP address, or nil with --http off.
func (a *Appliance) HTTPAddr() net.Addr {
	if a.httpLn == nil {
		return nil
	}
	return a.httpLn.Addr()
}

// MetricsAddr is the bound metrics address, or nil with --metrics off.
func (a *Appliance) MetricsAddr() net.Addr {
	if a.metricsLn == nil {
		return nil
	}
	return a.metricsLn.Addr()
}

// RootPEM is the built-in CA's root certificate, nil without one.
func (a *Appliance) RootPEM() []byte { return a.certs.RootPEM() }

// SetupToken is the one-time first-run token, "" once an admin exists.
func (a *Appliance) SetupToken() string { return a.setupToken }
