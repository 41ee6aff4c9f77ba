package sfu

import "sync"

// maxPacketSize bounds an RTP packet we cache. pion reads at most its
// receive MTU (1460 bytes by default); anything larger is not cached.
const maxPacketSize = 1500

// packetCache keeps the most recent packets of one up-track so that NACKs
// from any subscriber are answered without asking the publisher. It is a
// fixed ring indexed by sequence number: storing never allocates, and a
// slot is overwritten by the packet 'size' sequence numbers later.
// Safe for concurrent use: the reader stores, RTCP goroutines load.
type packetCache struct {
	mu    sync.Mutex
	slots []cacheSlot
}

type cacheSlot struct {
	seq   uint16
	n     uint16
	valid bool
	buf   [maxPacketSize]byte
}

// newPacketCache returns a cache of size slots (a power of two; 0 disables
// caching).
func newPacketCache(size int) *packetCache {
	return &packetCache{slots: make([]cacheSlot, size)}
}

// store copies pkt, the full RTP packet with sequence number seq.
func (c *packetCache) store(seq uint16, pkt []byte) {
	if len(c.slots) == 0 || len(pkt) > maxPacketSize {
		return
	}
	c.mu.Lock()
	s := &c.slots[int(seq)&(len(c.slots)-1)]
	s.seq, s.n, s.valid = seq, uint16(len(pkt)), true
	copy(s.buf[:], pkt)
	c.mu.Unlock()
}

// load copies the packet with sequence number seq into dst and returns its
// length, or 0 when it is no longer (or never was) in the cache.
func (c *packetCache) load(seq uint16, dst []byte) int {
	if len(c.slots) == 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[int(seq)&(len(c.slots)-1)]
	if !s.valid || s.seq != seq || int(s.n) > len(dst) {
		return 0
	}
	return copy(dst, s.buf[:s.n])
}
