package appliance

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// contentSecurityPolicy is the one policy for every page we serve: the web
// client and the admin panel load nothing from elsewhere (air-gapped users
// have no elsewhere), run no inline script and may not be framed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; worker-src 'self'; " +
	"connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; " +
	"style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers of TESTPLAN.md on every response. HSTS
// only while a publicly trusted certificate is served: pinning a browser to
// HTTPS on a name whose certificate it does not trust would lock users out.
// HSTS is sent only for hosts that are one of the ACME domains: a LAN IP or
// host name served by the built-in CA must never be pinned.
func securityHeaders(publiclyTrusted func() bool, domains []string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if publiclyTrusted != nil && isDomainHost(r.Host, domains) && publiclyTrusted() {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// isDomainHost reports whether the request's Host is one of domains.
func isDomainHost(hostport string, domains []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	for _, d := range domains {
		if strings.EqualFold(strings.TrimSuffix(d, "."), host) {
			return true
		}
	}
	return false
}

// routerParts are the handlers the HTTPS router composes.
type routerParts struct {
	web             http.Handler
	admin           http.Handler
	api             http.Handler // the JSON API, /api/v1
	signal          http.Handler // the /ws signaling WebSocket
	netCheck        http.Handler // POST /net-check, the pre-join connection check
	health          http.Handler
	caCert          http.Handler // nil without a built-in CA
	publiclyTrusted func() bool
	domains         []string
	logger          *slog.Logger
	// embedOrigins is the admin's allow-list of sites that may frame a
	// meeting (nil: none may).
	embedOrigins func(context.Context) ([]string, error)
}

// newRouter composes the HTTPS surface. Unsafe methods are checked for
// cross-origin use once here (Go's CrossOriginProtection); WebSockets, being
// GETs, check Origin themselves.
func newRouter(p routerParts) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(middleware.Recoverer)
	r.Use(securityHeaders(p.publiclyTrusted, p.domains))
	r.Use(requestLogger(p.logger))
	csrf := http.NewCrossOriginProtection()
	r.Use(csrf.Handler)

	r.Method(http.MethodGet, "/healthz", p.health)
	if p.caCert != nil {
		r.Method(http.MethodGet, "/ca.crt", p.caCert)
	}
	r.Mount("/admin", p.admin)
	r.Mount("/api/v1", p.api)
	r.Method(http.MethodGet, "/ws", p.signal)
	if p.netCheck != nil {
		r.Method(http.MethodPost, "/net-check", p.netCheck)
	}
	r.Mount("/", embeddable(p.embedOrigins, p.logger, p.web))
	return r
}

// embeddable lets the sites on the admin's allow-list frame the meeting
// pages (/r/ROOM), as learning platforms embed meetings; everything else,
// the admin panel above all, stays unframeable.
func embeddable(origins func(context.Context) ([]string, error), logger *slog.Logger, next http.Handler) http.Handler {
	if origins == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/r/") {
			list, err := origins(r.Context())
			if err != nil {
				logger.Warn("embed allow-list", slog.Any("err", err))
			}
			if err == nil && len(list) > 0 {
				h := w.Header()
				h.Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy,
					"frame-ancestors 'none'", "frame-ancestors 'self' "+strings.Join(list, " "), 1))
				h.Del("X-Frame-Options")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requestLogger logs each request at debug level; errors are logged by the
// handlers that know what went wrong.
func requestLogger(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			logger.Debug("http request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", ww.Status()), slog.Duration("duration", time.Since(start)),
				slog.String("remote_addr", r.RemoteAddr), slog.String("request_id", middleware.GetReqID(r.Context())))
		})
	}
}

// caCertHandler serves the built-in CA's root in PEM, the form curl
// --cacert, browsers and phones all import.
func caCertHandler(rootPEM []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="conclave-ca.crt"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(rootPEM)))
		_, _ = w.Write(rootPEM)
	})
}

// health is the /healthz body.
type health struct {
	Status        string  `json:"status"`
	Version       string  `json:"version"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	DB            string  `json:"db"`
	TLSMode       string  `json:"tls_mode"`
}

// healthHandler answers 200 when the database answers, 503 otherwise.
func (a *Appliance) healthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := health{Status: "ok", Version: a.version, UptimeSeconds: time.Since(a.started).Seconds(),
			DB: "ok", TLSMode: string(a.certs.Status().Mode)}
		status := http.StatusOK
		if err := a.store.Ping(r.Context()); err != nil {
			a.logger.Error("health check: database", slog.Any("err", err))
			h.Status, h.DB, status = "degraded", "unavailable", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(h)
	})
}

// plainHTTPHandler serves the HTTP port: /ca.crt (so a phone can fetch the
// root before it trusts anything), and a redirect to HTTPS for the rest. The
// caller wraps it with the ACME HTTP-01 challenge handler.
func plainHTTPHandler(httpsPort int, caCert http.Handler) http.Handler {
	mux := http.NewServeMux()
	if caCert != nil {
		mux.Handle("GET /ca.crt", caCert)
	}
	mux.Handle("/", httpsRedirect(httpsPort))
	return mux
}

// httpsRedirect sends a request to the same host on the HTTPS port.
func httpsRedirect(httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]") // "[::1]" without a port
		if host == "" {
			http.Error(w, "missing Host header", http.StatusBadRequest)
			return
		}
		target := "https://" + net.JoinHostPort(host, strconv.Itoa(httpsPort))
		if httpsPort == 443 {
			target = "https://" + hostForURL(host)
		}
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// hostForURL brackets IPv6 literals.
func hostForURL(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[" + host + "]"
	}
	return host
}

// metricsHandler serves the appliance's own registry, never the global one.
func metricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Go's profiler, for docs/performance.md's profiles of a loaded server; the
	// metrics listener is on loopback unless the operator moves it.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
