package sfu

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/transport/v5/test"
)

// rawClient is a bare signalling socket, for feeding the server bad input.
type rawClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialRaw(t *testing.T, url string) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &rawClient{t: t, conn: conn}
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) join(room, name string) serverMsg {
	c.t.Helper()
	c.send(`{"type":"join","v":1,"room":"` + room + `","name":"` + name + `"}`)
	return c.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
}

// expect reads until a message matches; it fails on close or timeout.
func (c *rawClient) expect(what string, match func(serverMsg) bool) serverMsg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		var m serverMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("bad server message %q: %v", data, err)
		}
		if match(m) {
			return m
		}
	}
}

// expectError waits for an error message with code and fatality.
func (c *rawClient) expectError(code string, fatal bool) {
	c.t.Helper()
	m := c.expect("error "+code, func(m serverMsg) bool { return m.Type == "error" })
	if m.Code != code || m.Fatal != fatal {
		c.t.Errorf("got error %s (fatal %v), want %s (fatal %v)", m.Code, m.Fatal, code, fatal)
	}
}

// expectClose reads until the socket closes and checks the close code.
func (c *rawClient) expectClose(code websocket.StatusCode) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := c.conn.Read(ctx); err != nil {
			if got := websocket.CloseStatus(err); got != code {
				c.t.Errorf("closed with %v (%v), want %v", got, err, code)
			}
			return
		}
	}
}

func TestBadInputLeavesOthersAlone(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	_, url := newTestSFU(t, Config{MessagesPerSecond: 20, MessageBurst: 40})
	peers := []*testPeer{dialPeer(t, url, "bad", "ada", ""), dialPeer(t, url, "bad", "bob", "")}
	for _, p := range peers {
		p.publish()
	}
	waitFlowing(t, peers)
	from := window(peers)

	fatal := []struct {
		name  string
		msgs  []string
		code  string
		close websocket.StatusCode
	}{
		{"malformed json before join", []string{`{"type":`}, "bad-message", websocket.StatusPolicyViolation},
		{"offer before join", []string{`{"type":"offer","sdp":"v=0"}`}, "not-joined", websocket.StatusPolicyViolation},
		{"unknown version", []string{`{"type":"join","v":2,"room":"bad","name":"x"}`}, "unsupported-version", websocket.StatusPolicyViolation},
		{"bad room", []string{`{"type":"join","v":1,"room":"Bad Room","name":"x"}`}, "bad-room", websocket.StatusPolicyViolation},
		{"empty name", []string{`{"type":"join","v":1,"room":"bad","name":"  "}`}, "bad-name", websocket.StatusPolicyViolation},
		{"control character in name", []string{`{"type":"join","v":1,"room":"bad","name":"a\u0007b"}`}, "bad-name", websocket.StatusPolicyViolation},
		{"unknown type before join", []string{`{"type":"dance"}`}, "unknown-type", websocket.StatusPolicyViolation},
	}
	for _, tc := range fatal {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, url)
			for _, m := range tc.msgs {
				c.send(m)
			}
			c.expectError(tc.code, true)
			c.expectClose(tc.close)
		})
	}

	t.Run("non-fatal errors after join", func(t *testing.T) {
		c := dialRaw(t, url)
		c.join("bad", "cy")
		steps := []struct{ msg, code string }{
			{`{"type":"offer","sdp":`, "bad-message"},
			{`{"type":"dance"}`, "unknown-type"},
			{`{"type":"offer","sdp":"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\nbogus"}`, "bad-sdp"},
			{`{"type":"offer","sdp":42}`, "bad-message"},
			{`{"type":"join","v":1,"room":"other","name":"cy"}`, "already-joined"},
			{`{"type":"publish","trackId":"t","kind":"video","source":"microphone"}`, "bad-message"},
			{`{"type":"relay","to":"not-an-id","data":{}}`, "bad-message"},
		}
		for _, s := range steps {
			c.send(s.msg)
			c.expectError(s.code, false)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := c.conn.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		c.expectError("bad-message", false)
	})

	t.Run("oversize message", func(t *testing.T) {
		c := dialRaw(t, url)
		c.join("bad", "dee")
		c.send(`{"type":"relay","data":"` + strings.Repeat("x", 70000) + `"}`)
		c.expectClose(websocket.StatusMessageTooBig)
	})

	t.Run("message flood", func(t *testing.T) {
		c := dialRaw(t, url)
		c.join("bad", "eve")
		for range 100 {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			err := c.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"mute","trackId":"x","muted":true}`))
			cancel()
			if err != nil {
				break // closed under us: that is the point
			}
		}
		c.expectError("rate-limited", true)
		c.expectClose(websocket.StatusPolicyViolation)
	})

	time.Sleep(time.Second) // a window long enough to count
	checkDelivery(t, peers, from, 0.99)
}

func TestOriginCheck(t *testing.T) {
	_, url := newTestSFU(t, Config{})
	host := strings.TrimPrefix(strings.TrimSuffix(url, "/ws"), "ws://")
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{"cross-site", "https://evil.test", http.StatusForbidden},
		{"same host other port", "http://127.0.0.1:1", http.StatusForbidden},
		{"not a URL", "::", http.StatusForbidden},
		{"same origin", "http://" + host, http.StatusSwitchingProtocols},
		{"no origin (non-browser client)", "", http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
			if conn != nil {
				_ = conn.CloseNow()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestJoinLimits(t *testing.T) {
	t.Run("room full", func(t *testing.T) {
		_, url := newTestSFU(t, Config{MaxParticipants: 2})
		dialRaw(t, url).join("full", "a")
		dialRaw(t, url).join("full", "b")
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"full","name":"c"}`)
		c.expectError("room-full", true)
		c.expectClose(websocket.StatusPolicyViolation)
		dialRaw(t, url).join("other", "c") // other rooms are not affected
	})
	t.Run("joins per second per IP", func(t *testing.T) {
		_, url := newTestSFU(t, Config{JoinsPerSecondPerIP: 0.1, JoinBurstPerIP: 2})
		dialRaw(t, url).join("rate", "a")
		dialRaw(t, url).join("rate", "b")
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"rate","name":"c"}`)
		c.expectError("rate-limited", true)
		c.expectClose(websocket.StatusPolicyViolation)
	})
	t.Run("token for another room", func(t *testing.T) {
		_, url := newTestSFU(t, Config{Authorizer: roomTokens{"secret-a": "room-a"}})
		ok := dialRaw(t, url)
		ok.send(`{"type":"join","v":1,"room":"room-a","name":"a","token":"secret-a"}`)
		ok.expect("welcome", func(m serverMsg) bool { return m.Type == "welcome" })
		c := dialRaw(t, url)
		c.send(`{"type":"join","v":1,"room":"room-b","name":"b","token":"secret-a"}`)
		c.expectError("not-authorized", true)
		c.expectClose(websocket.StatusPolicyViolation)
	})
}

// roomTokens is a test Authorizer: token -> the one room it opens.
type roomTokens map[string]string

func (r roomTokens) Authorize(_ context.Context, req JoinRequest) (Grant, error) {
	if r[req.Token] != req.Room {
		return Grant{}, errors.Join(ErrNotAuthorized)
	}
	return Grant{UserID: "u-" + req.Room}, nil
}
