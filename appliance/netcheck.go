package appliance

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"conclave/turn"
)

// The pre-join connection check: a browser asks for TURN credentials before
// it joins, to test whether UDP, TCP and TLS reach the relay (web/js/netcheck.js).
// Joining hands out the same kind of credentials in every welcome; these
// name no participant, live only as long as a check needs, and are limited
// per address.
const (
	netCheckTTL = 2 * time.Minute
	// netChecksPerAddr checks per netCheckWindow from one address.
	netChecksPerAddr = 6
	netCheckWindow   = time.Minute
	// netCheckAddrs bounds the addresses remembered; past it the window starts over.
	netCheckAddrs = 4096
)

// netCheckLimiter counts checks per client address in fixed windows.
type netCheckLimiter struct {
	mu    sync.Mutex
	start time.Time
	count map[netip.Addr]int
}

// allow reports whether addr may check once more at now.
func (l *netCheckLimiter) allow(addr netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= netCheckWindow || len(l.count) >= netCheckAddrs {
		l.start, l.count = now, make(map[netip.Addr]int)
	}
	if l.count[addr] >= netChecksPerAddr {
		return false
	}
	l.count[addr]++
	return true
}

// netCheckHandler serves POST /net-check: {"iceServers":[…]}, the TURN
// addresses with short-lived credentials; 404 without TURN, 429 when the
// address checked too often.
func (a *Appliance) netCheckHandler() http.Handler {
	limiter := &netCheckLimiter{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.turn == nil {
			http.NotFound(w, r)
			return
		}
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		addr, _ := netip.ParseAddr(host)
		if !limiter.allow(addr.Unmap(), time.Now()) {
			w.Header().Set("Retry-After", "60")
			http.Error(w, "too many connection checks; try again in a minute", http.StatusTooManyRequests)
			return
		}
		user, pass := turn.Credentials(a.turnSecrets.current(), "net-check", netCheckTTL, time.Now())
		_, _, _, uris := a.turnGrant("net-check")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"iceServers": []map[string]any{
			{"urls": uris, "username": user, "credential": pass}}})
	})
}
