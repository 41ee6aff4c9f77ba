package admin

import (
	"fmt"
	"testing"
	"time"
)

// TestThrottleIPBucket checks the per-address token bucket on all attempts,
// failed or not: a burst, then one attempt per interval.
func TestThrottleIPBucket(t *testing.T) {
	clock := newFakeClock()
	lt := newLoginThrottle(clock.Now)
	for i := range ipAttemptBurst {
		if ok, _ := lt.allow(fmt.Sprintf("user%d", i), "192.0.2.1"); !ok {
			t.Fatalf("attempt %d refused within the burst", i)
		}
	}
	if ok, wait := lt.allow("other", "192.0.2.1"); ok || wait <= 0 {
		t.Errorf("attempt past the burst: got allowed=%v wait=%s, want refused with a wait", ok, wait)
	}
	if ok, _ := lt.allow("other", "192.0.2.2"); !ok {
		t.Error("another address was refused")
	}
	clock.Advance(ipAttemptEvery)
	if ok, _ := lt.allow("other", "192.0.2.1"); !ok {
		t.Error("attempt after the refill interval refused")
	}
}

// TestThrottleBounded checks that a spray of usernames cannot grow the table
// without bound, and that old failures are forgotten.
func TestThrottleBounded(t *testing.T) {
	clock := newFakeClock()
	lt := newLoginThrottle(clock.Now)
	for i := range maxThrottleKeys + 500 {
		lt.fail(fmt.Sprintf("spray%d", i), "192.0.2.1")
	}
	if n := len(lt.entries); n > maxThrottleKeys {
		t.Errorf("entries: got %d, want at most %d", n, maxThrottleKeys)
	}
	for range accountFailureLimit - 1 {
		lt.fail("alice", "192.0.2.9")
	}
	clock.Advance(failureMemory + time.Second)
	lt.fail("alice", "192.0.2.9")
	if ok, _ := lt.allow("alice", "192.0.2.9"); !ok {
		t.Error("failures older than failureMemory still counted")
	}
}
