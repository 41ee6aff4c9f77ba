package pionlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLevelsMoveOneDown(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := Factory{Logger: logger}.NewLogger("ice")
	l.Tracef("per-packet %d", 1)    // below debug: hidden
	l.Debugf("per-packet %d", 2)    // below debug: hidden
	l.Infof("candidate %s", "host") // debug
	l.Warn("slow")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (trace and debug hidden):\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "candidate host" || rec["scope"] != "ice" || rec["component"] != "pion" || rec["level"] != "DEBUG" {
		t.Fatalf("got %v, want msg, scope ice, component pion, level DEBUG", rec)
	}
}
