package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/internal/testenv"
	"conclave/web"
)

// fakeSignal stands in for the SFU's /ws endpoint in browser tests that
// need no media: the test scripts what the server says, message by message,
// and checks what the client sent. It speaks the JSON of docs/protocol.md
// but has no WebRTC stack, so it never answers an offer.
type fakeSignal struct {
	t     *testing.T
	ctx   context.Context
	conns chan *fakeConn
	wg    sync.WaitGroup
}

// fakeConn is one accepted socket. Its methods fail the test on error.
type fakeConn struct {
	t    *testing.T
	ctx  context.Context
	c    *websocket.Conn
	msgs chan map[string]any // read by the connection's reader goroutine
}

// newMeetingServer serves web.Handler() and a fakeSignal at /ws over TLS
// on 127.0.0.1, with the appliance's headers.
func newMeetingServer(t *testing.T) (*httptest.Server, *fakeSignal) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fs := &fakeSignal{t: t, ctx: ctx, conns: make(chan *fakeConn, 8)}
	h := web.Handler()
	srv := newTLSServerFor(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			fs.accept(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	// Cleanups run last-in first-out: the fake's connections end before
	// the server closes.
	t.Cleanup(func() {
		cancel()
		fs.wg.Wait()
	})
	return srv, fs
}

// accept runs in the server's handler goroutine for the socket's lifetime,
// reading messages into the connection's channel until the socket or the
// test ends.
func (fs *fakeSignal) accept(w http.ResponseWriter, r *http.Request) {
	fs.wg.Add(1)
	defer fs.wg.Done()
	c, err := websocket.Accept(w, r, nil) // default: same-origin only, as the SFU
	if err != nil {
		fs.t.Errorf("fake signal: accept: %v", err)
		return
	}
	defer c.CloseNow()
	fc := &fakeConn{t: fs.t, ctx: fs.ctx, c: c, msgs: make(chan map[string]any, 64)}
	select {
	case fs.conns <- fc:
	case <-fs.ctx.Done():
		return
	}
	defer close(fc.msgs)
	for {
		_, data, err := c.Read(fs.ctx)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			fs.t.Errorf("fake signal: client sent non-JSON %q", data)
			return
		}
		select {
		case fc.msgs <- m:
		case <-fs.ctx.Done():
			return
		}
	}
}

// with returns the connection reporting failures to t, for use in a
// subtest (a subtest must not fail its parent with FailNow).
func (c *fakeConn) with(t *testing.T) *fakeConn {
	cc := *c
	cc.t = t
	return &cc
}

// nextFor returns the next connection the page opens, reporting to t. It
// waits as long as any page action; if none comes, it reports what the page
// shows and logged, so a slow start is told apart from a broken one.
func (fs *fakeSignal) nextFor(t *testing.T, p *testenv.Page) *fakeConn {
	t.Helper()
	select {
	case c := <-fs.conns:
		return c.with(t)
	case <-time.After(30 * time.Second):
		state := testenv.Eval[string](p, `JSON.stringify({url: location.pathname + location.search, `+
			`phase: window.conclave?.phase?.() ?? null, text: document.body.innerText.slice(0, 400)})`)
		t.Fatalf("fake signal: no connection within 30 s; the page: %s; console errors: %q", state, p.ConsoleErrors())
		return nil
	}
}

// read returns the next message from the client.
func (c *fakeConn) read() map[string]any {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("fake signal: socket closed while waiting for a message")
		}
		return m
	case <-time.After(15 * time.Second):
		c.t.Fatal("fake signal: no message within 15 s")
		return nil
	}
}

// readType reads messages until one of the given type, returning it and
// the types seen before it, in order.
func (c *fakeConn) readType(typ string) (map[string]any, []string) {
	c.t.Helper()
	var before []string
	for {
		m := c.read()
		if m["type"] == typ {
			return m, before
		}
		before = append(before, m["type"].(string))
	}
}

// send writes one message as JSON.
func (c *fakeConn) send(m map[string]any) {
	c.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("fake signal: write: %v", err)
	}
}

// welcome answers a join with the given roster of other participants. We
// are sender index 1 (docs/e2ee.md); the roster's entries carry none.
func (c *fakeConn) welcome(id, token string, resumed bool, others ...map[string]any) {
	c.t.Helper()
	c.welcomeWith(id, token, resumed, nil, others...)
}

// welcomeWith is welcome from a server that lists the given optional
// features (docs/protocol.md); nil leaves the field out, as older servers do.
func (c *fakeConn) welcomeWith(id, token string, resumed bool, features []string, others ...map[string]any) {
	c.t.Helper()
	if others == nil {
		others = []map[string]any{}
	}
	w := map[string]any{"type": "welcome", "v": 1, "participantId": id, "index": 1, "resumeToken": token,
		"resumed": resumed, "iceServers": []any{}, "participants": others,
		"limits": map[string]any{"maxParticipants": 100, "maxTracks": 4, "maxMessageBytes": 65536}}
	if features != nil {
		w["features"] = features
	}
	c.send(w)
}

// drop ends the socket abruptly, as a lost network would.
func (c *fakeConn) drop() {
	_ = c.c.CloseNow()
}

// participant builds a roster entry; tracks are (kind, source, muted) triples.
func participant(id, name string, tracks ...track) map[string]any {
	ts := make([]map[string]any, 0, len(tracks))
	for _, tr := range tracks {
		ts = append(ts, map[string]any{"trackId": id + "-" + tr.source, "kind": tr.kind, "source": tr.source, "muted": tr.muted})
	}
	return map[string]any{"id": id, "name": name, "tracks": ts}
}

type track struct {
	kind, source string
	muted        bool
}

var (
	micOn   = track{"audio", "microphone", false}
	micOff  = track{"audio", "microphone", true}
	cameraT = track{"video", "camera", false}
)
