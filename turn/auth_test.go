package turn

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
)

func TestParseUsername(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		expiry   int64
		user     string
		wantFail bool
	}{
		{name: "plain", in: "1700000000:alice", expiry: 1700000000, user: "alice"},
		{name: "user with colon", in: "1700000000:a:b", expiry: 1700000000, user: "a:b"},
		{name: "zero expiry", in: "0:x", expiry: 0, user: "x"},
		{name: "no colon", in: "1700000000", wantFail: true},
		{name: "empty user", in: "1700000000:", wantFail: true},
		{name: "empty expiry", in: ":alice", wantFail: true},
		{name: "non-numeric", in: "abc:alice", wantFail: true},
		{name: "negative", in: "-5:alice", wantFail: true},
		{name: "plus sign", in: "+5:alice", wantFail: true},
		{name: "space", in: " 5:alice", wantFail: true},
		{name: "hex", in: "0x10:alice", wantFail: true},
		{name: "overflow", in: "99999999999999999999:alice", wantFail: true},
		{name: "int64 overflow 19 digits", in: "9999999999999999999:alice", wantFail: true},
		{name: "empty", in: "", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expiry, user, err := parseUsername(tt.in)
			if tt.wantFail {
				if !errors.Is(err, ErrBadUsername) {
					t.Fatalf("parseUsername(%q) err = %v, want ErrBadUsername", tt.in, err)
				}
				return
			}
			if err != nil || expiry != tt.expiry || user != tt.user {
				t.Fatalf("parseUsername(%q) = %d, %q, %v; want %d, %q, nil", tt.in, expiry, user, err, tt.expiry, tt.user)
			}
		})
	}
}

// TestCredentialsMatchPion checks our minting against pion's own REST
// handler: same username format, same key.
func TestCredentialsMatchPion(t *testing.T) {
	secret := []byte("shared")
	now := time.Now()
	username, password := Credentials(secret, "alice", time.Hour, now)
	if want := strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + ":alice"; username != want {
		t.Fatalf("username = %q, want %q", username, want)
	}
	h := pionturn.LongTermTURNRESTAuthHandler(string(secret), nil)
	user, key, ok := h(&pionturn.RequestAttributes{Username: username, Realm: "r"})
	if !ok || user != "alice" {
		t.Fatalf("pion handler = %q, %v; want alice, true", user, ok)
	}
	if want := pionturn.GenerateAuthKey(username, "r", password); !bytes.Equal(key, want) {
		t.Fatalf("pion key %x, want key from our password %x", key, want)
	}
}

// signedFrame builds a STUN request signed like a client holding password.
func signedFrame(t *testing.T, method stun.Method, username, realm, password string) []byte {
	t.Helper()
	m, err := stun.Build(stun.TransactionID, stun.NewType(method, stun.ClassRequest),
		stun.NewUsername(username), stun.NewRealm(realm), stun.NewNonce("nonce"),
		stun.NewLongTermIntegrity(username, realm, password))
	if err != nil {
		t.Fatal(err)
	}
	return m.Raw
}

// TestAuthCheck is TESTPLAN T4: the REST validity window, the TTL ceiling and
// rotation.
func TestAuthCheck(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	current, previous, unknown := []byte("current"), []byte("previous"), []byte("unknown")
	const realm = "test.realm"
	valid, _ := Credentials(current, "alice", time.Hour, now)
	expired, _ := Credentials(current, "alice", -time.Minute, now)
	tests := []struct {
		name     string
		method   stun.Method
		username string
		signWith []byte // nil: no frame available (fallback path)
		realm    string
		secrets  [][]byte
		wantKey  []byte // secret whose key must be returned; nil means refused
		reason   string
	}{
		{"now+1h allocate", stun.MethodAllocate, valid, current, realm, [][]byte{current, previous}, current, ""},
		{"previous secret in grace", stun.MethodAllocate, valid, previous, realm, [][]byte{current, previous}, previous, ""},
		{"unknown secret", stun.MethodAllocate, valid, unknown, realm, [][]byte{current, previous}, nil, authIntegrity},
		{"previous secret after grace", stun.MethodAllocate, valid, previous, realm, [][]byte{current}, nil, authIntegrity},
		{"no frame falls back to current", stun.MethodAllocate, valid, nil, realm, [][]byte{current, previous}, current, ""},
		{"expired allocate", stun.MethodAllocate, expired, current, realm, [][]byte{current}, nil, authExpired},
		{"expired refresh", stun.MethodRefresh, expired, current, realm, [][]byte{current}, current, ""},
		{"expired create permission", stun.MethodCreatePermission, expired, current, realm, [][]byte{current}, current, ""},
		{"expired channel bind", stun.MethodChannelBind, expired, current, realm, [][]byte{current}, current, ""},
		{"expiry year 2100", stun.MethodAllocate, "4102444800:x", current, realm, [][]byte{current}, nil, authExpiryTooFar},
		{"expiry year 2100 on refresh", stun.MethodRefresh, "4102444800:x", current, realm, [][]byte{current}, nil, authExpiryTooFar},
		{"non-numeric", stun.MethodAllocate, "soon:alice", current, realm, [][]byte{current}, nil, authMalformed},
		{"missing user", stun.MethodAllocate, strconv.FormatInt(now.Unix()+60, 10), current, realm, [][]byte{current}, nil, authMalformed},
		{"empty user", stun.MethodAllocate, strconv.FormatInt(now.Unix()+60, 10) + ":", current, realm, [][]byte{current}, nil, authMalformed},
		{"other realm", stun.MethodAllocate, valid, current, "evil", [][]byte{current}, nil, authRealm},
		{"no secrets", stun.MethodAllocate, valid, current, realm, [][]byte{nil, {}}, nil, authNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &authenticator{realm: realm, secrets: func() [][]byte { return tt.secrets },
				maxTTL: 24 * time.Hour, now: func() time.Time { return now }}
			var frame []byte
			if tt.signWith != nil {
				frame = signedFrame(t, tt.method, tt.username, tt.realm, restPassword(tt.signWith, tt.username))
			}
			user, key, reason := a.check(tt.username, tt.realm, tt.method, frame)
			if reason != tt.reason {
				t.Fatalf("reason = %q, want %q", reason, tt.reason)
			}
			if tt.wantKey == nil {
				if key != nil || user != "" {
					t.Fatalf("refused request returned user %q key %x", user, key)
				}
				return
			}
			if want := restKey(tt.wantKey, tt.username, tt.realm); !bytes.Equal(key, want) {
				t.Fatalf("key = %x, want key of secret %q", key, tt.wantKey)
			}
			if _, wantUser, _ := parseUsername(tt.username); user != wantUser {
				t.Fatalf("user = %q, want %q", user, wantUser)
			}
		})
	}
}

// TestAuthHandlerCountsFailures checks the pion-facing handler and the
// failure counter, including the frame lookup by source address.
func TestAuthHandlerCountsFailures(t *testing.T) {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	secret := []byte("s")
	username, password := Credentials(secret, "bob", time.Hour, now)
	src := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	frame := signedFrame(t, stun.MethodAllocate, username, "r", password)
	a := &authenticator{realm: "r", secrets: func() [][]byte { return [][]byte{secret} }, maxTTL: time.Hour,
		now: func() time.Time { return now }, failed: m.authFailed, logger: slog.New(slog.DiscardHandler),
		frame: func(a net.Addr) []byte {
			if a == net.Addr(src) {
				return frame
			}
			return nil
		}}
	if user, _, ok := a.handle(&pionturn.RequestAttributes{Username: username, Realm: "r", SrcAddr: src, Method: stun.MethodAllocate}); !ok || user != "bob" {
		t.Fatalf("handle = %q, %v; want bob, true", user, ok)
	}
	if _, _, ok := a.handle(&pionturn.RequestAttributes{Username: "x:y", Realm: "r", SrcAddr: src, Method: stun.MethodAllocate}); ok {
		t.Fatal("malformed username accepted")
	}
	if got := counterValue(m.authFailures.WithLabelValues(authMalformed)); got != 1 {
		t.Fatalf("malformed failures = %v, want 1", got)
	}
}
