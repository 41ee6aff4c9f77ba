package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/transport/v5"
)

const (
	// readLimit is generous: the protocol caps messages at 64 KiB, but a client should not
	// be the one to break a call because a server offer for a large room is a bit bigger.
	readLimit    = 1 << 20
	writeTimeout = 10 * time.Second
)

// dial opens the signaling WebSocket, sending Origin as a browser on the server's own page
// would.
func dial(ctx context.Context, cfg Config) (*websocket.Conn, error) {
	tr := &http.Transport{TLSClientConfig: cfg.TLSConfig, ForceAttemptHTTP2: false}
	if cfg.Net != nil {
		tr.DialContext = netDialer(cfg.Net)
	}
	// The handshake's connection is hijacked by the WebSocket; nothing stays idle, but make
	// sure the transport holds no goroutine either way.
	defer tr.CloseIdleConnections()
	conn, resp, err := websocket.Dial(ctx, cfg.URL, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
		HTTPHeader: http.Header{"Origin": []string{cfg.origin()}},
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: status %d: %w", cfg.URL, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", cfg.URL, err)
	}
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// netDialer dials TCP through n (Config.Net), bounded by the context's deadline. pion's
// Dialer has no context; one that has DialContext gets it.
func netDialer(n transport.Net) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := &net.Dialer{}
		if dl, ok := ctx.Deadline(); ok {
			nd.Deadline = dl
		}
		d := n.CreateDialer(nd)
		if dc, ok := d.(interface {
			DialContext(context.Context, string, string) (net.Conn, error)
		}); ok {
			return dc.DialContext(ctx, network, addr)
		}
		conn, err := d.Dial(network, addr)
		if err != nil {
			return nil, fmt.Errorf("dial %s %s: %w", network, addr, err)
		}
		return conn, nil
	}
}

// writeJSON sends one message with a deadline. coder/websocket allows concurrent writers.
func writeJSON(ctx context.Context, conn *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

// readMessage reads one text message and its type.
func readMessage(ctx context.Context, conn *websocket.Conn) (string, []byte, error) {
	typ, b, err := conn.Read(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("read message: %w", err)
	}
	if typ != websocket.MessageText {
		return "", nil, fmt.Errorf("binary message: %w", ErrProtocol)
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return "", nil, fmt.Errorf("decode message: %w: %w", ErrProtocol, err)
	}
	return env.Type, b, nil
}

// handshake sends `join` and waits for `welcome`. A `resume-failed` error is not final: the
// server follows it with a fresh welcome (docs/protocol.md), which handshake returns.
func handshake(ctx context.Context, conn *websocket.Conn, cfg Config, resume string) (welcomeMsg, error) {
	join := joinMsg{Type: "join", V: protocolVersion, Room: strings.ToLower(cfg.Room),
		Name: cfg.Name, Resume: resume, Token: cfg.Token, Password: cfg.Password}
	if err := writeJSON(ctx, conn, join); err != nil {
		return welcomeMsg{}, fmt.Errorf("send join: %w", err)
	}
	for {
		typ, b, err := readMessage(ctx, conn)
		if err != nil {
			return welcomeMsg{}, fmt.Errorf("wait for welcome: %w", err)
		}
		switch typ {
		case "welcome":
			var w welcomeMsg
			if err := json.Unmarshal(b, &w); err != nil {
				return welcomeMsg{}, fmt.Errorf("decode welcome: %w: %w", ErrProtocol, err)
			}
			if w.ParticipantID == "" {
				return welcomeMsg{}, fmt.Errorf("welcome without participant id: %w", ErrProtocol)
			}
			return w, nil
		case "error":
			var se ServerError
			if err := json.Unmarshal(b, &se); err != nil {
				return welcomeMsg{}, fmt.Errorf("decode error: %w: %w", ErrProtocol, err)
			}
			if se.Code == "resume-failed" {
				continue
			}
			return welcomeMsg{}, fmt.Errorf("join room %q: %w", cfg.Room, &se)
		}
		// Anything else before welcome (`lobby`: a moderator has to admit us) needs no
		// answer; ignoring the rest is the forward-compatible choice.
	}
}

// isNormalClose reports whether err is the expected end of a socket: our own close, the
// server's normal or going-away close, or a cancelled context.
func isNormalClose(err error) bool {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed)
}
