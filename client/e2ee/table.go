package e2ee

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"conclave/sframe"
)

// Retention of old keys at a receiver (docs/e2ee.md): the newest KeepGenerations generations
// per sender, and in each up to KeepOldSteps superseded steps for KeepOldFor, so frames in
// flight still decrypt.
const (
	KeepGenerations = 2
	KeepOldSteps    = 3
	KeepOldFor      = 2 * time.Second
)

// stepKey is one (step, base key) of a generation; retired is when a newer step replaced it.
type stepKey struct {
	step    uint32
	key     []byte
	retired time.Time
}

// genKeys holds the steps of one generation, oldest first; the last is the newest.
type genKeys struct {
	gen   uint32
	steps []stepKey
}

func (g *genKeys) newest() stepKey { return g.steps[len(g.steps)-1] }

// RecvTable holds the other participants' sender keys and decrypts their frames with an
// sframe.Receiver. Frames whose KID shows the same generation and a step 1–8 ahead of the
// newest key of a sender ratchet it forward once such a frame authenticates; keys never go
// backwards. It is safe for concurrent use.
type RecvTable struct {
	rx *sframe.Receiver // concurrent-safe: the frame fast path takes no table lock

	mu      sync.Mutex
	senders map[uint8][]*genKeys // by sender index, oldest generation first
}

// NewRecvTable makes an empty table.
func NewRecvTable() *RecvTable {
	return &RecvTable{rx: sframe.NewReceiver(Suite), senders: make(map[uint8][]*genKeys)}
}

func kidOf(index uint8, gen, step uint32) uint64 {
	return sframe.KID{SenderIndex: index, Generation: uint8(gen & 3), Step: uint8(step & 15)}.Pack()
}

// Set installs the key of sender index from a key message. A key older than the newest of
// its generation, or of a generation older than the two newest, is refused with ErrStale.
// The same (gen, step) with another key replaces it (the sender restarted).
func (t *RecvTable) Set(index uint8, k SenderKey, now time.Time) error {
	if index == 0 || len(k.Key) < sframe.MinBaseKeyLen {
		return fmt.Errorf("key of sender %d: %w", index, ErrBadKey)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	gens := t.senders[index]
	g := findGen(gens, k.Gen)
	if g == nil {
		if len(gens) >= KeepGenerations && k.Gen < gens[0].gen {
			return fmt.Errorf("key %d/%d of sender %d: %w", k.Gen, k.Step, index, ErrStale)
		}
		g = &genKeys{gen: k.Gen}
		gens = append(gens, g)
		slices.SortFunc(gens, func(a, b *genKeys) int { return cmpU32(a.gen, b.gen) })
		for len(gens) > KeepGenerations {
			t.dropGen(index, gens[0])
			gens = gens[1:]
		}
		t.senders[index] = gens
	} else if n := g.newest(); k.Step < n.step || (k.Step == n.step && bytes.Equal(k.Key, n.key)) {
		if k.Step < n.step {
			return fmt.Errorf("key %d/%d of sender %d, have step %d: %w", k.Gen, k.Step, index, n.step, ErrStale)
		}
		return nil
	} else if k.Step == n.step {
		g.steps = g.steps[:len(g.steps)-1]
	}
	return t.push(index, g, stepKey{step: k.Step, key: bytes.Clone(k.Key)}, now)
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func findGen(gens []*genKeys, gen uint32) *genKeys {
	for _, g := range gens {
		if g.gen == gen {
			return g
		}
	}
	return nil
}

// push makes s the newest step of g, retiring the previous newest at now.
func (t *RecvTable) push(index uint8, g *genKeys, s stepKey, now time.Time) error {
	if err := t.rx.AddKey(kidOf(index, g.gen, s.step), s.key); err != nil {
		return fmt.Errorf("install key of sender %d: %w", index, err)
	}
	if len(g.steps) > 0 && g.steps[len(g.steps)-1].retired.IsZero() {
		g.steps[len(g.steps)-1].retired = now
	}
	g.steps = append(g.steps, s)
	for len(g.steps) > KeepOldSteps+1 {
		t.dropStep(index, g.gen, g.steps[0])
		g.steps = g.steps[1:]
	}
	return nil
}

// dropStep removes one step's key from the receiver unless a newer key took its KID.
func (t *RecvTable) dropStep(index uint8, gen uint32, s stepKey) {
	kid := kidOf(index, gen, s.step)
	for _, g := range t.senders[index] {
		for _, o := range g.steps {
			if (g.gen != gen || o.step != s.step) && kidOf(index, g.gen, o.step) == kid {
				return
			}
		}
	}
	t.rx.RemoveKey(kid)
}

func (t *RecvTable) dropGen(index uint8, g *genKeys) {
	for _, s := range g.steps {
		t.rx.RemoveKey(kidOf(index, g.gen, s.step))
	}
}

// Forget drops every key of sender index (it left, or its roster entry was replaced).
func (t *RecvTable) Forget(index uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, g := range t.senders[index] {
		t.dropGen(index, g)
	}
	delete(t.senders, index)
}

// Expire drops superseded steps retired KeepOldFor or longer before now.
func (t *RecvTable) Expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for index, gens := range t.senders {
		for _, g := range gens {
			kept := g.steps[:0]
			for _, s := range g.steps {
				if !s.retired.IsZero() && now.Sub(s.retired) >= KeepOldFor {
					t.dropStep(index, g.gen, s)
					continue
				}
				kept = append(kept, s)
			}
			g.steps = kept
		}
	}
}

// Decrypt decrypts one frame of codec (clear prefix ‖ SFrame) and returns the frame and its
// KID. A frame under a step 1–8 ahead of a sender's newest key of that generation ratchets
// the key forward if it authenticates. Errors: ErrNoKey (wrapped with sframe.ErrUnknownKID)
// for a KID with no key, else sframe's errors (authentication, replay, malformed).
func (t *RecvTable) Decrypt(codec sframe.Codec, frame []byte, now time.Time) ([]byte, sframe.KID, error) {
	out, v, err := sframe.DecryptFrame(t.rx, codec, frame)
	kid, kerr := sframe.UnpackKID(v)
	if err == nil {
		return out, kid, nil
	}
	if !errors.Is(err, sframe.ErrUnknownKID) || kerr != nil {
		return nil, kid, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g, next, ok := t.ahead(kid)
	if !ok {
		if t.rx.HasKey(v) { // installed meanwhile by another track's frame
			out, _, err = sframe.DecryptFrame(t.rx, codec, frame)
			return out, kid, err
		}
		return nil, kid, fmt.Errorf("frame %v: %w: %w", kid, ErrNoKey, err)
	}
	if err := t.rx.AddKey(v, next.key); err != nil {
		return nil, kid, fmt.Errorf("frame %v: %w", kid, err)
	}
	out, _, err = sframe.DecryptFrame(t.rx, codec, frame)
	if err != nil {
		t.rx.RemoveKey(v) // a forged KID must not move the ratchet
		return nil, kid, err
	}
	g.steps[len(g.steps)-1].retired = now
	g.steps = append(g.steps, next)
	for len(g.steps) > KeepOldSteps+1 {
		t.dropStep(kid.SenderIndex, g.gen, g.steps[0])
		g.steps = g.steps[1:]
	}
	return out, kid, nil
}

// ahead finds the generation a KID belongs to and, if its step is 1–MaxStepsAhead past the
// newest, ratchets the newest key forward to it (uncommitted).
func (t *RecvTable) ahead(kid sframe.KID) (*genKeys, stepKey, bool) {
	gens := t.senders[kid.SenderIndex]
	for i := len(gens) - 1; i >= 0; i-- {
		g := gens[i]
		if uint8(g.gen&3) != kid.Generation {
			continue
		}
		n := g.newest()
		steps, ok := kid.StepsAfter(sframe.KID{SenderIndex: kid.SenderIndex, Generation: uint8(g.gen & 3), Step: uint8(n.step & 15)})
		if !ok {
			return nil, stepKey{}, false
		}
		key, err := ratchetN(n.key, steps)
		if err != nil {
			return nil, stepKey{}, false
		}
		return g, stepKey{step: n.step + uint32(steps), key: key}, true
	}
	return nil, stepKey{}, false
}

func ratchetN(key []byte, n int) ([]byte, error) {
	for range n {
		var err error
		if key, err = sframe.Ratchet(Suite, key); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// MsgKey returns the base key of sender index at (gen, step) for a msg: a key the table
// holds, or the newest key of gen ratcheted up to 8 steps ahead (not kept: frames move the
// ratchet).
func (t *RecvTable) MsgKey(index uint8, gen, step uint32) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := findGen(t.senders[index], gen)
	if g == nil {
		return nil, false
	}
	for _, s := range g.steps {
		if s.step == step {
			return s.key, true
		}
	}
	n := g.newest()
	if step <= n.step || step-n.step > sframe.MaxStepsAhead {
		return nil, false
	}
	key, err := ratchetN(n.key, int(step-n.step))
	return key, err == nil
}

// Clone returns an independent table holding the same keys (with fresh replay windows):
// tests use it to capture what a participant could decrypt at one moment.
func (t *RecvTable) Clone() *RecvTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := NewRecvTable()
	for index, gens := range t.senders {
		for _, g := range gens {
			cg := &genKeys{gen: g.gen, steps: slices.Clone(g.steps)}
			for _, s := range cg.steps {
				_ = c.rx.AddKey(kidOf(index, g.gen, s.step), s.key)
			}
			c.senders[index] = append(c.senders[index], cg)
		}
	}
	return c
}

// Has reports whether the table holds any key of sender index.
func (t *RecvTable) Has(index uint8) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.senders[index]) > 0
}
