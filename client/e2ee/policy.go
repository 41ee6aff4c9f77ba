package e2ee

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"conclave/sframe"
)

// Timings and limits of docs/e2ee.md, "When keys change".
const (
	// LeaveDebounce is how long after the last leave a new generation starts.
	LeaveDebounce = time.Second
	// SwitchTimeout is how long a sender waits for acks of a new generation before it
	// switches anyway.
	SwitchTimeout = 1500 * time.Millisecond
	// RotateEvery is the age at which a sender key gets a new generation.
	RotateEvery = 10 * time.Minute
	// RotateFrames is the frame count under one key that starts a new generation, leaving
	// room below 2^24 for the frames sent while the switch is under way.
	RotateFrames = 1<<24 - 1<<20
	// BaseKeyLen is the length of a fresh generation's base key.
	BaseKeyLen = 16
)

// Suite is the SFrame cipher suite of all Conclave media.
const Suite = sframe.AES128GCMSHA256

// Delivery asks the caller to wrap Key for one participant and send it.
type Delivery struct {
	To  string
	Key SenderKey
}

// pendingGen is a new generation sent out, not yet switched to.
type pendingGen struct {
	key     SenderKey
	waiting map[string]bool // recipients that have not acked
	sentAt  time.Time
}

// Policy decides when this participant's sender key changes and who gets which key
// (docs/e2ee.md): generation 0 at the start; a ratchet step for each verified newcomer,
// sent to it alone and used at once; a new generation LeaveDebounce after the last leave
// (or on rotation), used once every recipient acked it or after SwitchTimeout. It takes the
// time as an argument and never reads a clock. It is not safe for concurrent use.
type Policy struct {
	rand     io.Reader
	cur      SenderKey
	curSince time.Time
	pending  *pendingGen
	leaveAt  time.Time       // zero: no leave waiting for its debounce
	members  map[string]bool // verified participants who got our keys
}

// NewPolicy starts generation 0 with a fresh key from rand (crypto/rand.Reader outside
// tests).
func NewPolicy(rand io.Reader, now time.Time) (*Policy, error) {
	p := &Policy{rand: rand, members: make(map[string]bool)}
	k, err := p.freshKey(0)
	if err != nil {
		return nil, err
	}
	p.cur, p.curSince = k, now
	return p, nil
}

func (p *Policy) freshKey(gen uint32) (SenderKey, error) {
	k := make([]byte, BaseKeyLen)
	if _, err := io.ReadFull(p.rand, k); err != nil {
		return SenderKey{}, fmt.Errorf("new sender key: %w", err)
	}
	return SenderKey{Gen: gen, Key: k}, nil
}

// Current is the key frames and messages are encrypted with now.
func (p *Policy) Current() SenderKey { return p.cur }

// Add is called when participant pid becomes verified. newcomer is true for participants
// that joined after this one (they must not read earlier frames): the key ratchets one step
// and only pid gets the new step. A pending generation goes to pid too.
func (p *Policy) Add(pid string, newcomer bool, now time.Time) ([]Delivery, error) {
	if newcomer {
		next, err := sframe.Ratchet(Suite, p.cur.Key)
		if err != nil {
			return nil, fmt.Errorf("ratchet for %q: %w", pid, err)
		}
		p.cur = SenderKey{Gen: p.cur.Gen, Step: p.cur.Step + 1, Key: next}
	}
	p.members[pid] = true
	out := []Delivery{{To: pid, Key: p.cur}}
	if p.pending != nil {
		p.pending.waiting[pid] = true
		out = append(out, Delivery{To: pid, Key: p.pending.key})
	}
	return out, nil
}

// Remove is called when participant pid leaves (or its entry is dropped): a new generation
// follows LeaveDebounce after the last such call.
func (p *Policy) Remove(pid string, now time.Time) {
	if !p.members[pid] {
		return
	}
	delete(p.members, pid)
	if p.pending != nil {
		delete(p.pending.waiting, pid)
	}
	p.leaveAt = now.Add(LeaveDebounce)
}

// Ack records pid's ack of (gen, step); it reports whether the key switched to the pending
// generation because every recipient has it now.
func (p *Policy) Ack(pid string, gen, step uint32) bool {
	if p.pending == nil || p.pending.key.Gen != gen || p.pending.key.Step != step {
		return false
	}
	delete(p.pending.waiting, pid)
	if len(p.pending.waiting) > 0 {
		return false
	}
	p.switchPending()
	return true
}

func (p *Policy) switchPending() {
	p.cur = p.pending.key
	p.curSince = p.pending.sentAt
	p.pending = nil
}

// Tick runs the timers: a debounced leave or a rotation (when the key is RotateEvery old or
// framesUnderKey reached RotateFrames) starts a new generation, returned as deliveries to
// every member; a pending generation is switched to after SwitchTimeout. switched reports a
// new Current.
func (p *Policy) Tick(now time.Time, framesUnderKey uint64) (out []Delivery, switched bool, err error) {
	rotate := now.Sub(p.curSince) >= RotateEvery || framesUnderKey >= RotateFrames
	leave := !p.leaveAt.IsZero() && !now.Before(p.leaveAt)
	if leave || (rotate && p.pending == nil) {
		p.leaveAt = time.Time{}
		if out, err = p.newGeneration(now); err != nil {
			return nil, false, err
		}
	}
	if p.pending != nil && (len(p.pending.waiting) == 0 || now.Sub(p.pending.sentAt) >= SwitchTimeout) {
		p.switchPending()
		switched = true
	}
	return out, switched, nil
}

// newGeneration makes the next generation pending and sends it to every member. It
// replaces a pending one, which may have gone to a participant who left since.
func (p *Policy) newGeneration(now time.Time) ([]Delivery, error) {
	gen := p.cur.Gen + 1
	if p.pending != nil {
		gen = p.pending.key.Gen + 1
	}
	k, err := p.freshKey(gen)
	if err != nil {
		return nil, err
	}
	p.pending = &pendingGen{key: k, waiting: maps.Clone(p.members), sentAt: now}
	out := make([]Delivery, 0, len(p.members))
	for _, pid := range slices.Sorted(maps.Keys(p.members)) {
		out = append(out, Delivery{To: pid, Key: k})
	}
	return out, nil
}

// Restart starts a new generation at once, known to nobody yet, and forgets the members:
// after a resume the others dropped this participant's keys and verify it anew.
func (p *Policy) Restart(now time.Time) error {
	gen := p.cur.Gen + 1
	if p.pending != nil {
		gen = p.pending.key.Gen + 1
	}
	k, err := p.freshKey(gen)
	if err != nil {
		return err
	}
	p.cur, p.curSince, p.pending, p.leaveAt = k, now, nil, time.Time{}
	clear(p.members)
	return nil
}

// NextDeadline is the earliest time Tick has something to do: a debounced leave, a switch
// timeout, or the rotation of Current (frame-count rotation needs a Tick on its own).
func (p *Policy) NextDeadline() time.Time {
	next := p.curSince.Add(RotateEvery)
	if !p.leaveAt.IsZero() && p.leaveAt.Before(next) {
		next = p.leaveAt
	}
	if p.pending != nil {
		if t := p.pending.sentAt.Add(SwitchTimeout); t.Before(next) {
			next = t
		}
	}
	return next
}
