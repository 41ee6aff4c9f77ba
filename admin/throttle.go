package admin

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Login throttling (OWASP Authentication Cheat Sheet). Each account and each
// client IP has a failure count; past a threshold the key is locked for a
// period that doubles with every further failure. Each IP also has a token
// bucket on all attempts, which bounds the Argon2 work one client can cause.
const (
	accountFailureLimit = 5
	ipFailureLimit      = 20
	lockoutBase         = time.Minute
	lockoutMax          = time.Hour
	// failureMemory is how long a key's failures count against it after the
	// last one.
	failureMemory = 15 * time.Minute
	// ipAttemptEvery and ipAttemptBurst shape the per-IP bucket: a burst of
	// 30 attempts, then one every two seconds.
	ipAttemptEvery = 2 * time.Second
	ipAttemptBurst = 30
	// maxThrottleKeys bounds memory under a spray of usernames or addresses.
	maxThrottleKeys = 10000
)

// throttleEntry is the state of one key ("user:NAME" or "ip:ADDR").
type throttleEntry struct {
	failures    int
	lastFailure time.Time
	lockedUntil time.Time
	bucket      *rate.Limiter // IP keys only
}

// loginThrottle decides whether a login attempt may proceed. It is in memory:
// a restart forgets it, which costs an attacker a restart they cannot cause.
type loginThrottle struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*throttleEntry
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, entries: make(map[string]*throttleEntry)}
}

func accountKey(username string) string { return "user:" + foldASCII(username) }
func ipKey(ip string) string            { return "ip:" + ip }

// foldASCII lower-cases ASCII letters, as SQLite's NOCASE compares usernames.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// allow reports whether an attempt for username from ip may be checked, and
// if not, how long to wait. A refused attempt never reaches the password check.
func (lt *loginThrottle) allow(username, ip string) (bool, time.Duration) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	now := lt.now()
	acct, addr := lt.entry(accountKey(username), now), lt.entry(ipKey(ip), now)
	if addr.bucket == nil {
		addr.bucket = rate.NewLimiter(rate.Every(ipAttemptEvery), ipAttemptBurst)
	}
	wait := max(acct.lockedUntil.Sub(now), addr.lockedUntil.Sub(now))
	if wait > 0 {
		return false, wait
	}
	if !addr.bucket.AllowN(now, 1) {
		return false, ipAttemptEvery
	}
	return true, 0
}

// fail records a failed attempt against both keys.
func (lt *loginThrottle) fail(username, ip string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	now := lt.now()
	lt.entry(accountKey(username), now).fail(now, accountFailureLimit)
	lt.entry(ipKey(ip), now).fail(now, ipFailureLimit)
}

// succeed clears the account's failures; the IP's stay, so that one valid
// account cannot launder guesses at others.
func (lt *loginThrottle) succeed(username string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	delete(lt.entries, accountKey(username))
}

func (e *throttleEntry) fail(now time.Time, limit int) {
	e.failures++
	e.lastFailure = now
	if e.failures >= limit {
		d := lockoutBase << min(e.failures-limit, 6)
		e.lockedUntil = now.Add(min(d, lockoutMax))
	}
}

// entry returns the state of key, creating it, and forgets failures older
// than failureMemory once any lock has passed. Called with mu held.
func (lt *loginThrottle) entry(key string, now time.Time) *throttleEntry {
	e, ok := lt.entries[key]
	if !ok {
		if len(lt.entries) >= maxThrottleKeys {
			lt.prune(now)
		}
		e = &throttleEntry{}
		lt.entries[key] = e
		return e
	}
	if now.After(e.lockedUntil) && now.Sub(e.lastFailure) > failureMemory {
		e.failures = 0
	}
	return e
}

// prune drops idle entries; if all are active, it drops arbitrary ones so the
// map stays bounded (the per-IP limits still apply to the attacker's address).
func (lt *loginThrottle) prune(now time.Time) {
	for k, e := range lt.entries {
		if now.After(e.lockedUntil) && now.Sub(e.lastFailure) > failureMemory {
			delete(lt.entries, k)
		}
	}
	for k := range lt.entries {
		if len(lt.entries) < maxThrottleKeys {
			break
		}
		delete(lt.entries, k)
	}
}
