package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"conclave/internal/testenv"
	"conclave/loadtest"
)

// startAppliance runs the real appliance and writes its CA root to a file
// for --ca.
func startAppliance(t *testing.T) (*testenv.Appliance, string) {
	t.Helper()
	a := testenv.StartAppliance(t, testenv.Options{})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, a.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return a, ca
}

// TestLoadtestSmoke runs the real command against the real appliance: 2
// publishers and 2 subscribers for 3 s on loopback must lose nothing, and
// every counter must move.
func TestLoadtestSmoke(t *testing.T) {
	a, ca := startAppliance(t)
	var out, progress bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	code := loadtest.Main(ctx, []string{"--url", a.URL, "--room", "smoke", "--pubs", "2", "--subs", "2",
		"--duration", "3s", "--warmup", "1s", "--ca", ca, "--metrics", "http://" + a.MetricsAddr().String() + "/metrics", "--json"},
		&out, &progress)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, progress.String())
	}
	var r loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	t.Logf("report: %s", out.String())
	if r.Bots != 4 || r.Subscribers.Packets == 0 || r.Subscribers.Mbps <= 0 {
		t.Errorf("got %d bots, %d packets, %.3f Mbit/s; want 4 bots and media flowing", r.Bots, r.Subscribers.Packets, r.Subscribers.Mbps)
	}
	if r.Subscribers.LossRatio > 0 {
		t.Errorf("loss ratio %v on loopback, want 0", r.Subscribers.LossRatio)
	}
	if r.JoinMS.P50 <= 0 || r.JoinMS.P95 < r.JoinMS.P50 {
		t.Errorf("join times p50 %v p95 %v", r.JoinMS.P50, r.JoinMS.P95)
	}
	if r.Server.ForwardedPackets <= 0 || r.Server.CPUMicrosPerForwardedPkt <= 0 || r.Server.RSSMB <= 0 {
		t.Errorf("server numbers did not move: %+v", r.Server)
	}
	if !r.E2EE || r.Subscribers.DecryptedFrames == 0 || r.Subscribers.DecryptFailures != 0 || r.Subscribers.KeyMissing != 0 {
		t.Errorf("e2ee %v: %d frames decrypted, %d failed, %d without key; want E2EE on, frames decrypted, no drops",
			r.E2EE, r.Subscribers.DecryptedFrames, r.Subscribers.DecryptFailures, r.Subscribers.KeyMissing)
	}
	if !strings.Contains(progress.String(), "joined 4/4") || !strings.Contains(progress.String(), "/r/smoke#k=") {
		t.Errorf("no progress lines:\n%s", progress.String())
	}
}

// TestLoadtestSimulcastSmoke: publishers asked for simulcast, every bot showing one video
// in a 320x180 tile and the other off screen. The report counts the received videos by
// resolution: the shown ones all at one size (640x360 from a server without simulcast, the
// 320x180 encoding from one with it), the hidden ones with nothing in the window (or the
// lowest encoding, kept for recent speakers).
func TestLoadtestSimulcastSmoke(t *testing.T) {
	a, ca := startAppliance(t)
	var out, progress bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	code := loadtest.Main(ctx, []string{"--url", a.URL, "--room", "simulcast", "--pubs", "2", "--subs", "2",
		"--simulcast", "--tile", "320x180", "--visible", "1", "--duration", "3s", "--warmup", "2s", "--ca", ca},
		&out, &progress)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, progress.String())
	}
	t.Logf("report:\n%s", out.String())
	line := ""
	for l := range strings.Lines(out.String()) {
		if strings.HasPrefix(l, "received videos by resolution: ") {
			line = strings.TrimSpace(l)
		}
	}
	// 2 publishers see 1 video each, 2 subscribers 2 each: 4 shown, 2 hidden.
	wants := []string{
		"received videos by resolution: 640x360: 4, none: 2",
		"received videos by resolution: 320x180: 4, none: 2",
		"received videos by resolution: 160x90: 2, 320x180: 4",
	}
	if !slices.Contains(wants, line) {
		t.Errorf("got %q, want one of %q", line, wants)
	}
}

func TestLoadtestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--url"},
		{[]string{"--url", "https://x", "--pubs", "0"}, "--pubs"},
		{[]string{"--url", "https://x", "--simulcast", "--audio-only"}, "exclude"},
		{[]string{"--url", "https://x", "--tile", "320"}, "--tile"},
		{[]string{"--url", "https://x", "--tile", "0x180"}, "--tile"},
		{[]string{"--url", "https://x", "--tile", "axb"}, "--tile"},
		{[]string{"--url", "https://x", "--visible", "-1"}, "--visible"},
		{[]string{"--url", "https://x", "--pubs", "2", "--speakers", "3"}, "--speakers"},
		{[]string{"--url", "https://x", "--speakers", "-1"}, "--speakers"},
		{[]string{"--url", "https://x", "--warmup", "-1s"}, "--warmup"},
		{[]string{"--url", "https://x", "--ca", "a", "--insecure"}, "exclude"},
		{[]string{"--url", "https://x", "--ca", "/nonexistent"}, "--ca"},
		{[]string{"--url", "https://x", "--secret", "c2hvcnQ"}, "--secret"},
		{[]string{"--url", "https://x", "--secret", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "--no-e2ee"}, "exclude"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := loadtest.Main(t.Context(), tt.args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("args %q: exit %d, stderr %q; want 2 mentioning %s", tt.args, code, errOut.String(), tt.want)
		}
	}
}
