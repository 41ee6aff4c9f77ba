package turn

import (
	"sync"
	"time"
)

// tokenBucket caps a byte rate: it refills at rate bytes per second up to
// burst bytes, and a packet passes only if the bucket holds its size. Packets
// over the cap are dropped, not queued: media is real-time, and a relay that
// buffers only adds delay. Safe for concurrent use (a relay's write side is
// driven by the TURN read loop, its read side by pion's relay goroutine, so
// each direction has its own bucket and the mutex is uncontended).
type tokenBucket struct {
	rate  float64 // bytes per second; <= 0 means unlimited
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newTokenBucket returns a full bucket; rate <= 0 disables the cap.
func newTokenBucket(rate int64, now time.Time) *tokenBucket {
	return &tokenBucket{rate: float64(rate), burst: float64(rate), tokens: float64(rate), last: now}
}

// limited reports whether the bucket caps anything (reading the clock per
// packet is wasted otherwise).
func (b *tokenBucket) limited() bool { return b.rate > 0 }

// allow takes n bytes from the bucket at time now and reports whether they fit.
func (b *tokenBucket) allow(n int, now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if float64(n) > b.tokens {
		return false
	}
	b.tokens -= float64(n)
	return true
}
