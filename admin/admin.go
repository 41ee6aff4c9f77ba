package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// basePath is where the appliance mounts Handler. Pages need it for absolute
// links and form actions.
const basePath = "/admin"

// Config configures the admin web handler. The zero value is usable: no
// logging, and no setup token file to clean up.
type Config struct {
	// Logger receives request failures and setup events, already scoped by
	// the caller (component=admin); nil discards them.
	Logger *slog.Logger
	// SetupTokenFile is the file EnsureSetupToken wrote; it is removed once
	// setup completes.
	SetupTokenFile string
	// TURNCredentials mints ephemeral TURN credentials for
	// POST /api/v1/turn/credentials; user names the caller ("api_token:ID").
	// nil: the endpoint does not exist (404).
	TURNCredentials func(user string) (username, password string, ttl time.Duration, uris []string)
	// Meetings is the live view of the SFU for the dashboard and the
	// meetings API. nil: the meetings section is hidden and
	// /api/v1/meetings answers 404.
	Meetings Meetings
	// Health reports the server's state for the dashboard. nil: the health
	// section is hidden.
	Health func() Health
	// TURNSecretRotated, if set, is called after the settings page rotated
	// the TURN secret, so that the TURN server can reload it at once.
	TURNSecretRotated func()
	// EventInterval is how often /admin/events sends the dashboard a fresh
	// snapshot. Zero means 2 s.
	EventInterval time.Duration
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.EventInterval < 0 {
		return errors.New("admin: config: negative EventInterval")
	}
	return nil
}

// Admin is the admin web surface. It is safe for concurrent use.
type Admin struct {
	cfg    Config
	log    *slog.Logger
	store  *Store
	pages  *pages
	assets *assets
	router http.Handler
	api    http.Handler
	// throttle limits sign-in attempts per account and per client IP.
	throttle *loginThrottle
	// joinThrottle limits wrong room passwords per room and client IP.
	joinThrottle *loginThrottle
	// done ends the dashboard's event streams (Close).
	done      chan struct{}
	closeOnce sync.Once
}

// New builds the admin handler. Templates and assets are parsed here, once;
// the store stays owned by the caller, who closes it after the HTTP server
// has stopped.
func New(cfg Config, store *Store) (*Admin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("admin: new: nil store")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.EventInterval == 0 {
		cfg.EventInterval = 2 * time.Second
	}
	a := &Admin{cfg: cfg, log: log, store: store, throttle: newLoginThrottle(store.now),
		joinThrottle: newLoginThrottle(store.now), done: make(chan struct{})}
	var err error
	if a.assets, err = newAssets(); err != nil {
		return nil, err
	}
	if a.pages, err = newPages(a.assets); err != nil {
		return nil, err
	}
	a.router = a.routes()
	a.api = a.apiRoutes()
	return a, nil
}

// Close ends the dashboard's event streams, so that the HTTP server's
// graceful shutdown does not wait for them. Call it when shutting down (for
// example from http.Server.RegisterOnShutdown); it is idempotent.
func (a *Admin) Close() { a.closeOnce.Do(func() { close(a.done) }) }

// Handler returns the admin router, with paths relative to its mount point:
// the appliance mounts it at /admin. It does no CSRF checking of its own: the
// appliance wraps unsafe methods in http.CrossOriginProtection.
func (a *Admin) Handler() http.Handler { return a.router }

func (a *Admin) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(ensureRequestID, middleware.Recoverer, securityHeaders)
	// Unknown paths ask for a session first, so that the set of admin pages
	// cannot be probed without signing in.
	r.NotFound(a.requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.httpError(w, r, ErrNotFound)
	})).ServeHTTP)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.httpError(w, r, errMethodNotAllowed)
	})
	r.Get("/setup", a.getSetup)
	r.Post("/setup", a.postSetup)
	r.Get("/login", a.getLogin)
	r.Post("/login", a.postLogin)
	r.Get("/static/{name}", a.static)
	r.Get("/invite/{token}", a.getInvite)
	r.Post("/invite/{token}", a.postInvite)
	r.Group(func(r chi.Router) {
		r.Use(a.requireSession)
		r.Post("/logout", a.postLogout)
		r.Get("/", a.dashboard)
		r.Group(func(r chi.Router) {
			r.Use(a.requireRole(RoleAdmin, RoleModerator))
			a.staffRoutes(r)
		})
		r.Group(func(r chi.Router) {
			r.Use(a.requireRole(RoleAdmin))
			a.adminRoutes(r)
		})
	})
	return r
}

// ensureRequestID adds a request ID unless the appliance's router already did.
func ensureRequestID(next http.Handler) http.Handler {
	withID := middleware.RequestID(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if middleware.GetReqID(r.Context()) != "" {
			next.ServeHTTP(w, r)
			return
		}
		withID.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every admin response carries. The CSP
// allows only our own scripts and styles, so pages have no inline code.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		// The setup URL carries its token in the query: never leak it in a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// indexPage is the data of index.html.
type indexPage struct {
	Username string
	Role     string
}

// index is the admin home. The panel proper (rooms, users) comes in a later
// release; for now it says who is signed in.
func (a *Admin) index(w http.ResponseWriter, r *http.Request) {
	u, _ := CurrentUser(r.Context())
	a.render(w, r, http.StatusOK, "index.html", indexPage{Username: u.Username, Role: u.Role})
}
