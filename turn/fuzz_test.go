package turn

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// FuzzAuth feeds untrusted usernames and STUN frames to the credential
// parser and checker. Invariants: no panic; a parsed username round-trips;
// an accepted request's key verifies the frame it came with.
func FuzzAuth(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	secret := []byte("fuzz-secret")
	u, p := Credentials(secret, "alice", time.Hour, now)
	m, err := stun.Build(stun.TransactionID, stun.NewType(stun.MethodAllocate, stun.ClassRequest),
		stun.NewUsername(u), stun.NewRealm("r"), stun.NewNonce("n"), stun.NewLongTermIntegrity(u, "r", p))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u, "r", m.Raw)
	f.Add("4102444800:x", "r", []byte{})
	f.Add("abc:alice", "r", []byte{0, 1, 0, 0})
	f.Add(":", "", []byte(nil))
	a := &authenticator{realm: "r", secrets: func() [][]byte { return [][]byte{secret, []byte("old")} },
		maxTTL: 24 * time.Hour, now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, username, realm string, frame []byte) {
		if expiry, user, err := parseUsername(username); err == nil {
			if user == "" || expiry < 0 || !strings.HasSuffix(username, ":"+user) {
				t.Fatalf("parseUsername(%q) = %d, %q", username, expiry, user)
			}
			if ts, _, _ := strings.Cut(username, ":"); strings.TrimLeft(ts, "0") != strings.TrimLeft(strconv.FormatInt(expiry, 10), "0") {
				t.Fatalf("expiry %d does not round-trip %q", expiry, ts)
			}
		}
		user, key, reason := a.check(username, realm, stun.MethodAllocate, frame)
		if reason != "" {
			if key != nil || user != "" {
				t.Fatalf("refused with key or user: %q %x", user, key)
			}
			return
		}
		if msg := signedMessage(frame, username); msg != nil {
			if err := stun.MessageIntegrity(key).Check(msg); err != nil {
				t.Fatalf("accepted key does not verify the frame: %v", err)
			}
		}
	})
}
