package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// Bandwidth estimation of a subscriber's downlink, from transport-wide
// congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
// extensions-01). We number every packet we send to the subscriber in the
// transport-cc header extension ourselves (downtrack.go) and note its send
// time and size in a ring; the subscriber reports when each number arrived.
// From that the estimator derives the rate that got through, the loss, and
// the queueing delay (one-way delay above its recent minimum), and keeps
// an estimate in the spirit of GCC: it falls to 85 % of the delivered rate
// when a queue builds or packets are lost, and grows by 8 % a second while
// the path stays clear. pion's gcc interceptor does the same with a pacer
// and an allocation per packet; this costs one atomic store per packet.

const (
	// sentRing is how many sent packets are remembered: feedback comes every
	// 50-100 ms, and a subscriber of a class of 30 gets about 1,700 packets a
	// second, so 4096 hold over two seconds.
	sentRing = 1 << 12

	bweInitial = 5_000_000   // bits/s before any feedback
	bweMin     = 100_000     // never estimate below this
	bweMax     = 100_000_000 // nor above this
	bweGrowth  = 0.08        // per second while clear

	queueHigh   = 60 * time.Millisecond  // queueing delay that means congestion
	queueLow    = 25 * time.Millisecond  // and below which the path is clear
	lossHigh    = 0.10                   // loss that means congestion
	lossLow     = 0.02                   // and below which the path is clear
	decreaseGap = 300 * time.Millisecond // one decrease per round trip or so
	overuseRuns = 2                      // reports in a row that must show congestion
	baseWindow  = 5 * time.Second        // one-way delay minimum is kept per window
)

// estimator is one subscriber's estimate. sent is called by any goroutine
// that writes to the subscriber (one per publisher track), feedback by the
// RTCP goroutine that received the report, estimate by the subscriber's.
type estimator struct {
	seq  atomic.Uint32
	ring [sentRing]atomic.Uint64 // send µs (low 32 bits) << 32 | seq << 16 | size

	mu   sync.Mutex
	st   bweState
	acks []bweAck // scratch for one feedback
}

func newEstimator() *estimator {
	return &estimator{st: bweState{estimate: bweInitial}}
}

// sent records a packet of size bytes sent at now and returns its
// transport-wide sequence number. It never blocks or allocates.
func (e *estimator) sent(size int, now time.Duration) uint16 {
	s := uint16(e.seq.Add(1) - 1)
	us := uint32(now / time.Microsecond)
	e.ring[s&(sentRing-1)].Store(uint64(us)<<32 | uint64(s)<<16 | uint64(min(size, 0xffff)))
	return s
}

// estimate returns the current estimate in bits per second.
func (e *estimator) estimate() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return uint64(e.st.estimate)
}

// feedback reads one transport-cc report received at now.
func (e *estimator) feedback(fb *rtcp.TransportLayerCC, now time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.acks = e.acks[:0]
	nowUS := uint32(now / time.Microsecond)
	arrival := int64(fb.ReferenceTime) * 64_000 // µs, the subscriber's clock
	deltas := fb.RecvDeltas
	seq := fb.BaseSequenceNumber
	left := int(fb.PacketStatusCount)
	each := func(symbol uint16) {
		if left <= 0 {
			return
		}
		left--
		a := bweAck{arrival: -1}
		if symbol == rtcp.TypeTCCPacketReceivedSmallDelta || symbol == rtcp.TypeTCCPacketReceivedLargeDelta {
			if len(deltas) == 0 {
				return // malformed: more received symbols than deltas
			}
			arrival += deltas[0].Delta
			deltas = deltas[1:]
			a.arrival = arrival
		}
		v := e.ring[seq&(sentRing-1)].Load()
		if uint16(v>>16) == seq && v != 0 {
			// The send time, unwrapped against now (the ring holds
			// seconds, the 32 bits of µs wrap after 71 minutes).
			a.sent = int64(now/time.Microsecond) - int64(nowUS-uint32(v>>32))
			a.size = int(v & 0xffff)
			e.acks = append(e.acks, a)
		}
		seq++
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(c.RunLength), left) {
				each(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				each(s)
			}
		}
	}
	e.st.update(e.acks, now)
}

// bweAck is one packet of a report: when we sent it and when it arrived
// (-1: lost), both in µs, on our clock and the subscriber's.
type bweAck struct {
	sent, arrival int64
	size          int
}

// bweState is the estimate and what it is derived from: a plain value, so
// tests feed it made-up reports.
type bweState struct {
	estimate     float64 // bits/s
	delivered    float64 // smoothed rate that got through, bits/s
	loss         float64 // smoothed fraction lost
	queue        time.Duration
	lastArrival  int64 // µs, latest arrival of the previous report
	lastUpdate   time.Duration
	lastDecrease time.Duration
	base         [2]int64 // one-way delay minimum of this window and the last
	baseAt       time.Duration
	updates      int
	overuse      int // reports in a row showing congestion
}

// update folds one report's packets in.
func (s *bweState) update(acks []bweAck, now time.Duration) {
	received, lost, bytes := 0, 0, 0
	var owdSum, lastArrival int64
	for _, a := range acks {
		if a.arrival < 0 {
			lost++
			continue
		}
		received++
		bytes += a.size
		owd := a.arrival - a.sent
		owdSum += owd
		lastArrival = max(lastArrival, a.arrival)
		s.noteDelay(owd, now)
	}
	if received+lost == 0 {
		return
	}
	dt := min(now-s.lastUpdate, time.Second)
	first := s.updates == 0
	s.updates++
	s.lastUpdate = now
	s.loss = ewma(s.loss, float64(lost)/float64(received+lost), 0.3, first)
	if received == 0 {
		s.react(now, dt)
		return
	}
	if span := lastArrival - s.lastArrival; s.lastArrival != 0 && span > 0 && span < 1_000_000 {
		rate := float64(bytes) * 8 * 1e6 / float64(span)
		s.delivered = ewma(s.delivered, rate, 0.3, s.delivered == 0)
	}
	s.lastArrival = lastArrival
	base := min(s.base[0], s.base[1])
	s.queue = time.Duration(owdSum/int64(received)-base) * time.Microsecond
	s.react(now, dt)
}

// noteDelay keeps the minimum one-way delay over the last one or two
// windows: the delay of an empty queue, which clock drift moves slowly.
func (s *bweState) noteDelay(owd int64, now time.Duration) {
	if s.baseAt == 0 || now-s.baseAt >= baseWindow {
		s.base[1], s.base[0], s.baseAt = s.base[0], owd, now
		if s.updates == 0 {
			s.base[1] = owd
		}
	}
	s.base[0] = min(s.base[0], owd)
}

// react moves the estimate: down on congestion, up while clear.
func (s *bweState) react(now, dt time.Duration) {
	congested := s.queue > queueHigh || s.loss > lossHigh
	if congested {
		s.overuse++
	} else {
		s.overuse = 0
	}
	switch {
	case congested:
		// One report can be a burst, or a receiver that was busy for a
		// moment (its arrival times are when it read the packets).
		if s.overuse < overuseRuns || now-s.lastDecrease < decreaseGap {
			return
		}
		s.lastDecrease = now
		// A queue while we send far below the estimate (a burst, another
		// flow) halves the estimate at most; once the estimate is what we
		// send, it follows what gets through.
		s.estimate = max(bweMin, min(s.estimate, max(0.85*s.delivered, 0.5*s.estimate)))
	case s.queue < queueLow && s.loss < lossLow:
		s.estimate = min(bweMax, max(s.estimate*(1+bweGrowth*dt.Seconds()), s.delivered))
	}
}

// ewma moves old toward v by weight w; first takes v as is.
func ewma(old, v, w float64, first bool) float64 {
	if first {
		return v
	}
	return old + w*(v-old)
}
