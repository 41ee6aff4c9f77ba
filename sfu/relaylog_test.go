package sfu

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/internal/pionlog"
	"conclave/internal/syncbuf"
)

// TestRelayDataNeverLogged: whatever a relay carries, and however it is
// malformed, no log line at any level (ours or pion's) contains its data.
func TestRelayDataNeverLogged(t *testing.T) {
	const marker = "SECRETMARKER9f3a"
	var buf syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.Level(-16)}))
	_, url := newTestSFU(t, Config{Logger: logger, LoggerFactory: pionlog.Factory{Logger: logger}})
	ada, bob := dialRaw(t, url), dialRaw(t, url)
	ada.join("quiet", "ada")
	bw := bob.join("quiet", "bob")

	tests := []struct {
		name string
		msg  string
		code string // error answered, "" for none
	}{
		{"to everyone", `{"type":"relay","data":{"k":"` + marker + `"}}`, ""},
		{"to one", `{"type":"relay","to":"` + bw.ParticipantID + `","data":"` + marker + `"}`, ""},
		{"to someone absent", `{"type":"relay","to":"p_zzzz","data":["` + marker + `"]}`, ""},
		{"bad recipient", `{"type":"relay","to":"` + marker + `","data":1}`, "bad-message"},
		{"no data", `{"type":"relay","note":"` + marker + `"}`, "bad-message"},
		{"malformed json", `{"type":"relay","data":{"` + marker + `":}`, "bad-message"},
		{"wrong field type", `{"type":"relay","to":["` + marker + `"],"data":1}`, "bad-message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ada.send(tc.msg)
			if tc.code != "" {
				ada.expectError(tc.code, false)
			}
		})
	}
	bob.expect("relay to one", func(m serverMsg) bool { return m.Type == "relay" && strings.Contains(string(m.Data), marker) })

	t.Run("before join", func(t *testing.T) {
		c := dialRaw(t, url)
		c.send(`{"type":"relay","data":"` + marker + `"}`)
		c.expectError("not-joined", true)
	})
	t.Run("oversize", func(t *testing.T) {
		c := dialRaw(t, url)
		c.join("quiet", "cy")
		c.send(`{"type":"relay","data":"` + marker + strings.Repeat("x", 70000) + `"}`)
		c.expectClose(websocket.StatusMessageTooBig)
	})
	time.Sleep(100 * time.Millisecond) // let the handlers log
	logs := buf.String()
	if strings.Contains(logs, marker) {
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, marker) {
				t.Errorf("relay data in a log line: %s", line)
			}
		}
	}
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "msg=relay ") && strings.Contains(line, " bytes=") {
			n++
		}
	}
	if n < 3 {
		t.Errorf("%d relay log lines with their size, want at least 3", n)
	}
}
