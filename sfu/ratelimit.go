package sfu

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter limits joins per remote address. It forgets addresses idle for
// a minute, pruning inline when the table grows, so it needs no goroutine
// and stays bounded by the number of recently active addresses.
type ipLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[netip.Addr]*ipEntry
}

type ipEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

const (
	ipIdle       = time.Minute
	ipPruneAbove = 1024
)

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, clients: map[netip.Addr]*ipEntry{}}
}

// allow reports whether addr may join now.
func (l *ipLimiter) allow(addr netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.clients) > ipPruneAbove {
		for a, e := range l.clients {
			if now.Sub(e.seen) > ipIdle {
				delete(l.clients, a)
			}
		}
	}
	e := l.clients[addr]
	if e == nil {
		e = &ipEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[addr] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
