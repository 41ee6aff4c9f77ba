package sfu

import "time"

// keyframeThrottle decides whether a keyframe request (PLI) may go to a
// publisher now. Subscribers ask for keyframes when they join, lose a frame
// or switch layers; many asking at once must cost the publisher one
// keyframe, not one each, so requests closer than interval to the previous
// one are dropped: the keyframe already requested serves them all (as in
// Galène's kfRequested). A plain value; the up-track guards it.
type keyframeThrottle struct {
	interval time.Duration
	last     time.Duration // monotonic time of the last request sent
	sent     bool
}

// allow reports whether a request at now should be sent, and records it if
// so.
func (k *keyframeThrottle) allow(now time.Duration) bool {
	if k.sent && now-k.last < k.interval {
		return false
	}
	k.sent, k.last = true, now
	return true
}
