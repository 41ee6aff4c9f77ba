package turn

import (
	"net"
	"net/netip"
	"sync"
)

// quotas counts live allocations per user, per client IP and in total, and
// refuses an Allocate that would exceed a limit (pion answers 486 Allocation
// Quota Reached). A limit < 0 means none.
//
// Counts follow pion's OnAllocationCreated/OnAllocationDeleted events, and
// pion asks the QuotaHandler before it creates the allocation, so Allocates
// of one user racing on separate connections can overshoot by the number in
// flight at once. Reserving in the QuotaHandler instead would leak whenever
// pion fails the allocation afterwards (a zero LIFETIME, no free port), and
// those failures are client-triggered.
type quotas struct {
	user, ip, global int

	mu     sync.Mutex
	byUser map[string]int
	byIP   map[netip.Addr]int
	total  int
}

// Denial reasons for quota refusals.
const (
	quotaUser   = "quota_user"
	quotaIP     = "quota_ip"
	quotaGlobal = "quota_global"
)

func newQuotas(user, ip, global int) *quotas {
	return &quotas{user: user, ip: ip, global: global,
		byUser: make(map[string]int), byIP: make(map[netip.Addr]int)}
}

// check reports the quota a new allocation for user from src would exceed,
// or "" if it fits.
func (q *quotas) check(user string, src net.Addr) string {
	ip := srcIP(src)
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.global >= 0 && q.total >= q.global:
		return quotaGlobal
	case q.user >= 0 && q.byUser[user] >= q.user:
		return quotaUser
	case q.ip >= 0 && q.byIP[ip] >= q.ip:
		return quotaIP
	}
	return ""
}

// add records a created allocation; remove a deleted one.
func (q *quotas) add(user string, src net.Addr) { q.update(user, src, 1) }

func (q *quotas) remove(user string, src net.Addr) { q.update(user, src, -1) }

func (q *quotas) update(user string, src net.Addr, delta int) {
	ip := srcIP(src)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.total += delta
	bump(q.byUser, user, delta)
	bump(q.byIP, ip, delta)
}

// bump adds delta to m[k] and deletes the key at zero, so maps shrink back
// when clients leave.
func bump[K comparable](m map[K]int, k K, delta int) {
	if n := m[k] + delta; n > 0 {
		m[k] = n
	} else {
		delete(m, k)
	}
}

// live returns the total of recorded allocations.
func (q *quotas) live() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// srcIP is the unmapped IP of a client address (zero if unknown).
func srcIP(addr net.Addr) netip.Addr {
	if ap, ok := addrPortOf(addr); ok {
		return ap.Addr()
	}
	return netip.Addr{}
}
