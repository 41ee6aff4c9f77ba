package appliance

import "testing"

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
