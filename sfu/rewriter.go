package sfu

import "time"

// rewriter maps the sequence numbers and timestamps of the sources feeding
// one down-track onto one continuous output stream. Today a down-track has a
// single source and the mapping is a constant offset; when the source changes
// (simulcast layer switch, issue #8) the output continues without a sequence
// gap and with a timestamp step that matches the wall-clock time elapsed.
//
// It is a plain value: methods take the packet fields and the arrival time
// and return decisions, so table tests cover it without any I/O. It is not
// safe for concurrent use; the down-track guards it.
type rewriter struct {
	clockRate uint32

	started   bool
	ssrc      uint32 // current source
	seqOffset uint16 // out = in + offset (mod 2^16)
	tsOffset  uint32 // out = in + offset (mod 2^32)
	firstSeq  uint16 // first output seq of the current source
	lastSeq   uint16 // highest output seq so far
	lastTS    uint32 // output timestamp of lastSeq
	lastAt    time.Duration
}

// newRewriter returns a rewriter for a codec with the given RTP clock rate.
func newRewriter(clockRate uint32) rewriter {
	if clockRate == 0 {
		clockRate = 90000
	}
	return rewriter{clockRate: clockRate}
}

// seqNewer reports whether a comes after b in RFC 3550 sequence space.
func seqNewer(a, b uint16) bool { return a != b && a-b < 0x8000 }

// rewrite returns the output sequence number and timestamp of a packet from
// source ssrc, arriving at now (a monotonic clock reading). ok is false when
// the packet must be dropped: it is older than the start of the current
// source, so its output number would collide with the previous source's.
func (r *rewriter) rewrite(ssrc uint32, seq uint16, ts uint32, now time.Duration) (outSeq uint16, outTS uint32, ok bool) {
	switch {
	case !r.started:
		r.started, r.ssrc = true, ssrc
		r.seqOffset, r.tsOffset = 0, 0
		r.firstSeq, r.lastSeq, r.lastTS, r.lastAt = seq, seq, ts, now
		return seq, ts, true
	case ssrc != r.ssrc:
		r.switchTo(ssrc, seq, ts, now)
		return r.lastSeq, r.lastTS, true
	}
	outSeq, outTS = seq+r.seqOffset, ts+r.tsOffset
	if seqNewer(r.firstSeq, outSeq) {
		return 0, 0, false
	}
	if seqNewer(outSeq, r.lastSeq) {
		r.lastSeq, r.lastTS, r.lastAt = outSeq, outTS, now
	}
	return outSeq, outTS, true
}

// switchTo makes ssrc the current source, its packet (seq, ts) the next
// output packet: one sequence number after the last one, and a timestamp
// advanced by the elapsed time (at least one tick, so that the new frame
// never shares a timestamp with the old source's last frame).
func (r *rewriter) switchTo(ssrc uint32, seq uint16, ts uint32, now time.Duration) {
	step := uint32(1)
	if elapsed := now - r.lastAt; elapsed > 0 {
		ticks := uint64(elapsed) * uint64(r.clockRate) / uint64(time.Second)
		if ticks > 1 && ticks < 1<<31 {
			step = uint32(ticks)
		}
	}
	outSeq, outTS := r.lastSeq+1, r.lastTS+step
	r.ssrc = ssrc
	r.seqOffset, r.tsOffset = outSeq-seq, outTS-ts
	r.firstSeq, r.lastSeq, r.lastTS, r.lastAt = outSeq, outSeq, outTS, now
}

// source maps an output sequence number back to the current source's
// (for NACKs). ok is false for numbers before the current source began or
// not yet sent.
func (r *rewriter) source(outSeq uint16) (ssrc uint32, seq uint16, ok bool) {
	if !r.started || seqNewer(r.firstSeq, outSeq) || seqNewer(outSeq, r.lastSeq) {
		return 0, 0, false
	}
	return r.ssrc, outSeq - r.seqOffset, true
}

// timestamp maps a source timestamp of the current source to the output.
func (r *rewriter) timestamp(ts uint32) uint32 { return ts + r.tsOffset }
