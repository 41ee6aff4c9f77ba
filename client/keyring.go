package client

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"conclave/client/e2ee"
	"conclave/sframe"
)

// keyring is a client's end-to-end encryption state (docs/e2ee.md): its ECDH key pair and
// announce, the roster of verified participants, its sender key policy and the table of the
// others' keys. Handlers return the relay messages to send; the caller sends them after
// the lock is released (a socket write may block).
type keyring struct {
	log   *slog.Logger
	keys  *e2ee.RoomKeys
	now   func() time.Time
	rand  io.Reader
	table *e2ee.RecvTable // safe for concurrent use: the track readers decrypt with it

	// sender encrypts this client's frames; replaced whenever the policy's key changes.
	sender atomic.Pointer[sframe.Sender]

	mu       sync.Mutex
	pid      string
	index    uint8
	priv     *ecdh.PrivateKey
	roster   *e2ee.Roster
	pairs    map[string]*e2ee.Pair
	policy   *e2ee.Policy
	earlier  map[string]bool // participants present when this client joined
	present  map[string]bool // participants the server shows in the room now; only they are heard
	gone     map[string]bool // participants who left; never verified again
	keyed    map[string]bool // participants whose first key arrived
	held     []heldMsg       // msgs waiting for their key
	onChat   func(Chat)
	announce e2ee.Announce
}

// outbound is one relay message to send: to "" is everyone else.
type outbound struct {
	to  string
	msg any
}

// heldMsg is a msg whose key has not arrived yet; it waits up to msgHold.
type heldMsg struct {
	from string
	m    e2ee.Msg
	at   time.Time
}

const (
	msgHold    = 5 * time.Second // docs/e2ee.md: a msg waits this long for its key
	maxHeldMsg = 256
)

func newKeyring(secret []byte, room string, log *slog.Logger, onChat func(Chat)) (*keyring, error) {
	keys, err := e2ee.NewRoomKeys(secret, room)
	if err != nil {
		return nil, fmt.Errorf("e2ee: %w", err)
	}
	return &keyring{log: log, keys: keys, now: time.Now, rand: rand.Reader, table: e2ee.NewRecvTable(),
		onChat: onChat}, nil
}

// welcome starts the state for a `welcome`: a fresh key pair, roster and sender key on a
// fresh join; on a resume (same participant ID) everything stays and the announce is sent
// again. It returns the announce for everyone.
func (k *keyring) welcome(w welcomeMsg) ([]outbound, error) {
	if w.Index < 1 || w.Index > 255 {
		return nil, fmt.Errorf("welcome with sender index %d: %w", w.Index, ErrNoSenderIndex)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if w.Resumed && w.ParticipantID == k.pid && uint8(w.Index) == k.index {
		k.resumedLocked(w.Participants)
		return []outbound{{msg: k.announce}}, nil
	}
	priv, err := ecdh.P256().GenerateKey(k.rand)
	if err != nil {
		return nil, fmt.Errorf("e2ee key pair: %w", err)
	}
	policy, err := e2ee.NewPolicy(k.rand, k.now())
	if err != nil {
		return nil, err
	}
	k.pid, k.index, k.priv, k.policy = w.ParticipantID, uint8(w.Index), priv, policy
	k.announce = k.keys.NewAnnounce(k.pid, k.index, priv.PublicKey())
	self := e2ee.Entry{PID: k.pid, Index: k.index, ECDH: k.announce.ECDH, Public: priv.PublicKey()}
	k.roster = e2ee.NewRoster(k.keys, self)
	k.pairs, k.keyed, k.held = make(map[string]*e2ee.Pair), make(map[string]bool), nil
	k.earlier = make(map[string]bool, len(w.Participants))
	k.present = make(map[string]bool, len(w.Participants))
	if k.gone == nil {
		k.gone = make(map[string]bool)
	}
	for _, p := range w.Participants {
		k.earlier[p.ID] = true
		k.present[p.ID] = true
	}
	if err := k.useCurrentLocked(); err != nil {
		return nil, err
	}
	return []outbound{{msg: k.announce}}, nil
}

// useCurrentLocked makes the policy's current key the one frames are encrypted with.
func (k *keyring) useCurrentLocked() error {
	cur := k.policy.Current()
	kid := sframe.KID{SenderIndex: k.index, Generation: uint8(cur.Gen & 3), Step: uint8(cur.Step & 15)}
	s, err := sframe.NewSender(e2ee.Suite, kid.Pack(), cur.Key)
	if err != nil {
		return fmt.Errorf("sender key %d/%d: %w", cur.Gen, cur.Step, err)
	}
	k.sender.Store(s)
	return nil
}

// joined sends the announce to a newcomer.
func (k *keyring) joined(pid string) []outbound {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.roster == nil || pid == k.pid || k.gone[pid] {
		return nil
	}
	k.present[pid] = true
	return []outbound{{to: pid, msg: k.announce}}
}

// left forgets a participant that left; the policy starts a new generation after the
// debounce.
func (k *keyring) left(pid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.roster != nil {
		delete(k.present, pid)
		k.gone[pid] = true
		k.dropLocked(pid)
	}
}

// resumedLocked catches up with a resume: whoever left while the socket was down is
// forgotten (their leave was lost, and the policy moves to a new generation they never
// get), whoever came is heard.
func (k *keyring) resumedLocked(participants []Participant) {
	now := make(map[string]bool, len(participants))
	for _, p := range participants {
		now[p.ID] = true
	}
	for pid := range k.present {
		if !now[pid] {
			k.gone[pid] = true
			k.dropLocked(pid)
		}
	}
	k.present = now
}

// dropLocked forgets everything of pid: roster entry, keys, pair, held msgs.
func (k *keyring) dropLocked(pid string) {
	if e, ok := k.roster.Remove(pid); ok {
		k.table.Forget(e.Index)
	}
	delete(k.pairs, pid)
	delete(k.keyed, pid)
	k.policy.Remove(pid, k.now())
}

// tick runs the policy's timers and expires old keys and msgs.
func (k *keyring) tick() []outbound {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.policy == nil {
		return nil
	}
	now := k.now()
	k.table.Expire(now)
	kept := k.held[:0]
	for _, h := range k.held {
		if now.Sub(h.at) < msgHold {
			kept = append(kept, h)
		} else {
			k.log.Debug("e2ee msg dropped: no key", "from", h.from, "gen", h.m.Gen, "step", h.m.Step)
		}
	}
	k.held = kept
	deliveries, switched, err := k.policy.Tick(now, k.sender.Load().Frames())
	if err != nil {
		k.log.Error("e2ee policy", slog.Any("err", err))
		return nil
	}
	if switched {
		k.switchedLocked()
	}
	return k.wrapLocked(deliveries)
}

func (k *keyring) switchedLocked() {
	if err := k.useCurrentLocked(); err != nil {
		k.log.Error("e2ee switch key", slog.Any("err", err))
		return
	}
	cur := k.policy.Current()
	k.log.Debug("e2ee sender key switched", "gen", cur.Gen, "step", cur.Step)
}

// wrapLocked turns policy deliveries into key messages.
func (k *keyring) wrapLocked(ds []e2ee.Delivery) []outbound {
	var out []outbound
	for _, d := range ds {
		p := k.pairs[d.To]
		if p == nil {
			continue
		}
		nonce := make([]byte, e2ee.NonceLen)
		if _, err := io.ReadFull(k.rand, nonce); err != nil {
			k.log.Error("e2ee nonce", slog.Any("err", err))
			continue
		}
		m, err := p.Wrap(k.index, d.Key, nonce)
		if err != nil {
			k.log.Error("e2ee wrap key", "to", d.To, slog.Any("err", err))
			continue
		}
		out = append(out, outbound{to: d.To, msg: m})
	}
	return out
}

// seal encrypts one outgoing frame with the current sender key.
func (k *keyring) seal(codec sframe.Codec, frame []byte) ([]byte, error) {
	return sframe.EncryptFrame(k.sender.Load(), codec, frame)
}

// safety returns the safety code and the verified participants other than self.
func (k *keyring) safety() (e2ee.SafetyCode, []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.roster == nil {
		return e2ee.SafetyCode{}, nil
	}
	var pids []string
	for _, e := range k.roster.Others() {
		pids = append(pids, e.PID)
	}
	return k.roster.SafetyCode(), pids
}
