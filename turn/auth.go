package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST (draft-uberti-behave-turn-rest) fixes HMAC-SHA1
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
)

// Credentials mints TURN REST credentials (draft-uberti-behave-turn-rest):
// username "expiry:user" with expiry in Unix seconds, password
// base64(HMAC-SHA1(secret, username)). Browsers pass them through as the
// username and credential of an RTCIceServer.
func Credentials(secret []byte, user string, ttl time.Duration, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10) + ":" + user
	return username, restPassword(secret, username)
}

func restPassword(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// maxExpiryDigits keeps the expiry within int64 and refuses padding games.
const maxExpiryDigits = 19

// parseUsername splits a TURN REST username "expiry:user". The user part is
// everything after the first ':' and must not be empty; the expiry is
// decimal digits only (no sign, no spaces).
func parseUsername(username string) (expiry int64, user string, err error) {
	ts, user, ok := strings.Cut(username, ":")
	if !ok || user == "" || ts == "" || len(ts) > maxExpiryDigits {
		return 0, "", fmt.Errorf("username %q: %w", username, ErrBadUsername)
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return 0, "", fmt.Errorf("username %q: %w", username, ErrBadUsername)
		}
	}
	expiry, err = strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("username %q: %w", username, ErrBadUsername)
	}
	return expiry, user, nil
}

// Auth failure reasons, the label values of conclave_turn_auth_failures_total.
const (
	authMalformed    = "malformed"
	authRealm        = "realm"
	authExpired      = "expired"
	authExpiryTooFar = "expiry_too_far"
	authNoSecret     = "no_secret"
	authIntegrity    = "bad_integrity"
)

// authenticator is our pion AuthHandler. Unlike pion's
// LongTermTURNRESTAuthHandler it checks expiry only on Allocate (as LiveKit's
// HandleAuth does): Refresh, CreatePermission and ChannelBind of a meeting
// longer than the TTL keep working with the username that allocated.
type authenticator struct {
	realm   string
	secrets func() [][]byte
	maxTTL  time.Duration
	now     func() time.Time
	// frame returns the raw STUN message being handled for src, or nil.
	frame  func(src net.Addr) []byte
	failed func(reason string)
	logger *slog.Logger
}

// handle implements pionturn.AuthHandler.
func (a *authenticator) handle(ra *pionturn.RequestAttributes) (userID string, key []byte, ok bool) {
	var frame []byte
	if a.frame != nil {
		frame = a.frame(ra.SrcAddr)
	}
	userID, key, reason := a.check(ra.Username, ra.Realm, ra.Method, frame)
	if reason != "" {
		a.failed(reason)
		a.logger.Debug("turn auth refused", slog.String("reason", reason),
			slog.String("method", ra.Method.String()), slog.Any("remote_addr", ra.SrcAddr))
		return "", nil, false
	}
	return userID, key, true
}

// check validates a request's username for method and picks the key of the
// secret that signed frame. It returns a non-empty reason on refusal.
//
// Rotation: the key is MD5(username:realm:password) and the password depends
// on the secret, so with several secrets only the message itself tells which
// one the client used. pion's AuthHandler does not get the message, so the
// Server's socket wrappers remember the frame each read loop is handling
// (pion authenticates synchronously in the goroutine that read the frame)
// and check tries every secret's key against its MESSAGE-INTEGRITY. Without
// a frame it falls back to the current secret and lets pion verify.
func (a *authenticator) check(username, realm string, method stun.Method, frame []byte) (userID string, key []byte, reason string) {
	expiry, user, err := parseUsername(username)
	if err != nil {
		return "", nil, authMalformed
	}
	if realm != a.realm {
		return "", nil, authRealm
	}
	now := a.now()
	if expiry > now.Add(a.maxTTL).Unix() {
		return "", nil, authExpiryTooFar
	}
	// Only a new allocation needs a live credential; see the type comment.
	if method == stun.MethodAllocate && expiry < now.Unix() {
		return "", nil, authExpired
	}
	secrets := nonEmpty(a.secrets())
	if len(secrets) == 0 {
		return "", nil, authNoSecret
	}
	msg := signedMessage(frame, username)
	if msg == nil {
		return user, restKey(secrets[0], username, realm), ""
	}
	for _, s := range secrets {
		k := restKey(s, username, realm)
		if stun.MessageIntegrity(k).Check(msg) == nil {
			return user, k, ""
		}
	}
	return "", nil, authIntegrity
}

func restKey(secret []byte, username, realm string) []byte {
	return pionturn.GenerateAuthKey(username, realm, restPassword(secret, username))
}

// signedMessage decodes a copy of frame if it is a STUN message for username
// carrying MESSAGE-INTEGRITY; otherwise nil.
func signedMessage(frame []byte, username string) *stun.Message {
	if len(frame) == 0 {
		return nil
	}
	msg := &stun.Message{Raw: append([]byte(nil), frame...)}
	if msg.Decode() != nil || !msg.Contains(stun.AttrMessageIntegrity) {
		return nil
	}
	var u stun.Username
	if u.GetFrom(msg) != nil || u.String() != username {
		return nil
	}
	return msg
}

func nonEmpty(secrets [][]byte) [][]byte {
	out := secrets[:0:0]
	for _, s := range secrets {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}
