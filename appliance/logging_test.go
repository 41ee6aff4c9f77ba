package appliance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPionLoggerBridge(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, logFormatJSON, "debug")
	l := pionLoggerFactory{logger: logger}.NewLogger("ice")
	l.Tracef("per-packet %d", 1)     // below debug: dropped
	l.Debugf("per-packet too %d", 2) // pion debug is per packet: trace
	l.Infof("candidate %s", "host")  // pion info is per connection step: debug
	l.Warn("slow")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (trace hidden):\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["msg"] != "candidate host" || rec["scope"] != "ice" || rec["component"] != "pion" || rec["level"] != "DEBUG" {
		t.Fatalf("got %v, want msg, scope ice, component pion, level DEBUG", rec)
	}
}

func TestParseLevel(t *testing.T) {
	for _, s := range []string{"debug", "INFO", "warn", "error", "trace"} {
		if _, err := parseLevel(s); err != nil {
			t.Errorf("parseLevel(%q): %v", s, err)
		}
	}
	if _, err := parseLevel("loud"); err == nil {
		t.Error("parseLevel(loud): got nil error")
	}
}
