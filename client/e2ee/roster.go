package e2ee

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Entry is one verified roster entry.
type Entry struct {
	PID    string
	Index  uint8
	ECDH   []byte          // the 65-byte point of its announce
	Public *ecdh.PublicKey // the same key, parsed
}

// Change says what an accepted announce did to the roster.
type Change int

// The outcomes of Roster.Accept.
const (
	// Unchanged: the same announce again.
	Unchanged Change = iota
	// Added: a participant became verified.
	Added
	// Replaced: a verified participant announced a new key (a resume); drop its sender keys.
	Replaced
)

// Roster is the set of verified participants of one room as one participant sees it,
// itself included. It is not safe for concurrent use.
type Roster struct {
	keys  *RoomKeys
	self  Entry
	byPID map[string]Entry
	// conflicts holds, per index claimed by two participants, the pids rejected for it;
	// docs/e2ee.md rejects both, so neither gets in again until it leaves.
	conflicts map[uint8]map[string]bool
}

// NewRoster starts a roster that holds only self.
func NewRoster(keys *RoomKeys, self Entry) *Roster {
	return &Roster{keys: keys, self: self, byPID: make(map[string]Entry),
		conflicts: make(map[uint8]map[string]bool)}
}

// Self is this participant's own entry.
func (r *Roster) Self() Entry { return r.self }

// Accept verifies an announce relayed from participant from and adds or replaces its entry.
// Besides VerifyAnnounce's errors it returns ErrDuplicateIndex when another participant holds
// the index: then both are out, and dropped names the participant removed from the roster
// (whose keys the caller must forget), if any.
func (r *Roster) Accept(from string, a Announce) (e Entry, c Change, dropped string, err error) {
	pub, err := r.keys.VerifyAnnounce(from, a)
	if err != nil {
		return Entry{}, Unchanged, "", err
	}
	if set := r.conflicts[a.Index]; set != nil {
		set[a.PID] = true
		return Entry{}, Unchanged, "", fmt.Errorf("announce of %q: index %d in dispute: %w", a.PID, a.Index, ErrDuplicateIndex)
	}
	if other, ok := r.holder(a.Index); ok && other != a.PID {
		r.conflicts[a.Index] = map[string]bool{a.PID: true}
		if other != r.self.PID {
			r.conflicts[a.Index][other] = true
			delete(r.byPID, other)
			dropped = other
		}
		return Entry{}, Unchanged, dropped, fmt.Errorf("announce of %q: index %d held by %q: %w", a.PID, a.Index, other, ErrDuplicateIndex)
	}
	e = Entry{PID: a.PID, Index: a.Index, ECDH: bytes.Clone(a.ECDH), Public: pub}
	old, ok := r.byPID[a.PID]
	r.byPID[a.PID] = e
	switch {
	case !ok:
		return e, Added, "", nil
	case old.Index == e.Index && bytes.Equal(old.ECDH, e.ECDH):
		return e, Unchanged, "", nil
	}
	return e, Replaced, "", nil
}

// holder returns the pid that holds index, self included.
func (r *Roster) holder(index uint8) (string, bool) {
	if r.self.Index == index {
		return r.self.PID, true
	}
	for _, e := range r.byPID {
		if e.Index == index {
			return e.PID, true
		}
	}
	return "", false
}

// Remove forgets a participant that left and releases its claim to a disputed index. It
// returns its entry, if it was verified.
func (r *Roster) Remove(pid string) (Entry, bool) {
	for idx, set := range r.conflicts {
		delete(set, pid)
		if len(set) == 0 {
			delete(r.conflicts, idx)
		}
	}
	e, ok := r.byPID[pid]
	delete(r.byPID, pid)
	return e, ok
}

// Get returns the verified entry of pid.
func (r *Roster) Get(pid string) (Entry, bool) {
	e, ok := r.byPID[pid]
	return e, ok
}

// Others returns the verified participants other than self, sorted by pid.
func (r *Roster) Others() []Entry {
	return slices.SortedFunc(maps.Values(r.byPID), func(a, b Entry) int { return strings.Compare(a.PID, b.PID) })
}

// SafetyCode is the safety code of the verified entries and self.
func (r *Roster) SafetyCode() SafetyCode {
	return ComputeSafetyCode(r.keys.room, append(r.Others(), r.self))
}
