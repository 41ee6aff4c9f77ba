package loadtest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"conclave/client"
)

// Report is what `conclave loadtest --json` prints. Field names are the
// DESIGN.md contract.
type Report struct {
	Server      ServerReport      `json:"server"`
	Subscribers SubscribersReport `json:"subscribers"`
	JoinMS      JoinReport        `json:"join_ms"`
	Bots        int               `json:"bots"`
	Seconds     float64           `json:"seconds"`
	E2EE        bool              `json:"e2ee"` // the bots encrypted their media
	// Simulcast: the publishers were asked to send three encodings (--simulcast).
	Simulcast bool `json:"simulcast"`
}

// ServerReport is the server's cost, from its /metrics; zero without
// --metrics.
type ServerReport struct {
	CPUSecondsPerSecond      float64 `json:"cpu_seconds_per_second"`
	CPUMicrosPerForwardedPkt float64 `json:"cpu_us_per_forwarded_packet"`
	RSSMB                    float64 `json:"rss_mb"`
	ForwardedPackets         float64 `json:"forwarded_packets"`
}

// SubscribersReport is what every bot received from every publisher.
type SubscribersReport struct {
	LossRatio float64 `json:"loss_ratio"`
	Mbps      float64 `json:"mbps"`
	Packets   uint64  `json:"packets"`
	// With E2EE: frames that decrypted, that failed (authentication, replay, malformed), and
	// that were dropped because their key never came, during the window.
	DecryptedFrames uint64 `json:"decrypted_frames"`
	DecryptFailures uint64 `json:"decrypt_failures"`
	KeyMissing      uint64 `json:"key_missing"`
	// Resolutions counts the received video tracks (of all bots) by the size of the last key
	// frame each got, "WxH"; "none" counts those that received nothing during the window
	// (off screen). With --simulcast it shows which encodings the server chose.
	Resolutions map[string]int `json:"resolutions,omitempty"`
}

// JoinReport is the time from join to the first remote packet, per bot.
type JoinReport struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
}

// buildReport compares the counters at the start and end of the window.
func buildReport(cfg Config, bots []bot, start, end []client.Stats, elapsed time.Duration, before, after metrics) Report {
	r := Report{Bots: len(bots), Seconds: elapsed.Seconds(), E2EE: cfg.Secret != nil, Simulcast: cfg.Simulcast}
	announced := make([][]string, len(bots))
	for i, b := range bots {
		announced[i] = b.tiles.videos()
	}
	r.Subscribers.Resolutions = resolutions(start, end, announced)
	var got, expected, bytes uint64
	var joins []float64
	for i := range bots {
		s0, s1 := start[i], end[i]
		bytes += s1.Bytes - s0.Bytes
		r.Subscribers.DecryptedFrames += s1.Decrypted - s0.Decrypted
		r.Subscribers.DecryptFailures += s1.DecryptFailures - s0.DecryptFailures
		r.Subscribers.KeyMissing += s1.KeyMissing - s0.KeyMissing
		for _, t := range s1.Remote {
			t0 := findTrack(s0.Remote, t)
			got += t.Packets - t0.Packets
			expected += t.Expected - t0.Expected
		}
		if s1.JoinLatency > 0 {
			joins = append(joins, float64(s1.JoinLatency)/float64(time.Millisecond))
		}
	}
	r.Subscribers.Packets = got
	if expected > 0 && got < expected {
		r.Subscribers.LossRatio = float64(expected-got) / float64(expected)
	}
	r.Subscribers.Mbps = float64(bytes) * 8 / 1e6 / elapsed.Seconds()
	r.JoinMS = JoinReport{P50: percentile(joins, 50), P95: percentile(joins, 95)}
	if cfg.MetricsURL != "" {
		cpu := after.cpuSeconds - before.cpuSeconds
		fwd := after.forwarded - before.forwarded
		r.Server.CPUSecondsPerSecond = cpu / elapsed.Seconds()
		r.Server.ForwardedPackets = fwd
		if fwd > 0 {
			r.Server.CPUMicrosPerForwardedPkt = cpu * 1e6 / fwd
		}
		r.Server.RSSMB = after.rssBytes / 1e6
	}
	return r
}

// resolutions counts the video tracks the bots received by resolution (see
// SubscribersReport.Resolutions). announced[i] lists the videos bot i was offered: one that
// never sent a packet has no stats (pion makes a track of its first packet) and counts as
// "none".
func resolutions(start, end []client.Stats, announced [][]string) map[string]int {
	out := map[string]int{}
	for i := range end {
		got := map[string]bool{}
		for _, t := range end[i].Remote {
			if t.Kind != "video" {
				continue
			}
			got[t.TrackID] = true
			if t.Ended {
				continue
			}
			key := fmt.Sprintf("%dx%d", t.Width, t.Height)
			if t.Packets == findTrack(start[i].Remote, t).Packets {
				key = "none"
			}
			out[key]++
		}
		for _, id := range announced[i] {
			if !got[id] {
				out["none"]++
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// formatResolutions prints a resolution histogram smallest first, "none" last:
// "160x90: 3, 640x360: 1, none: 2".
func formatResolutions(h map[string]int) string {
	if len(h) == 0 {
		return "no video"
	}
	keys := slices.SortedFunc(maps.Keys(h), func(a, b string) int {
		return cmp.Compare(pixels(a), pixels(b))
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, h[k]))
	}
	return strings.Join(parts, ", ")
}

// pixels is the area of a "WxH" key, or more than any for "none".
func pixels(key string) int {
	var w, h int
	if _, err := fmt.Sscanf(key, "%dx%d", &w, &h); err != nil {
		return math.MaxInt
	}
	return w * h
}

func findTrack(ts []client.TrackStats, t client.TrackStats) client.TrackStats {
	for _, x := range ts {
		if x.ParticipantID == t.ParticipantID && x.TrackID == t.TrackID {
			return x
		}
	}
	return client.TrackStats{}
}

// metrics are the server numbers a load test reads. The CPU and packet
// counts cover the whole server process, so run load tests on an otherwise
// idle server.
type metrics struct {
	cpuSeconds, rssBytes, forwarded float64
}

// forwardedMetric counts packets the SFU wrote to subscribers.
const forwardedMetric = "conclave_sfu_packets_forwarded_total"

// scrape reads the server's Prometheus text exposition.
func scrape(ctx context.Context, url string) (metrics, error) {
	var m metrics
	if url == "" {
		return m, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return m, fmt.Errorf("--metrics %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, fmt.Errorf("--metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("--metrics %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return m, fmt.Errorf("--metrics %s: %w", url, err)
	}
	values := parseExposition(string(body))
	m.cpuSeconds = values["process_cpu_seconds_total"]
	m.rssBytes = values["process_resident_memory_bytes"]
	m.forwarded = values[forwardedMetric]
	return m, nil
}

// parseExposition sums the samples of each metric name (labels ignored)
// in a Prometheus text exposition.
func parseExposition(text string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			if j := strings.LastIndexByte(line, '}'); j > i {
				name, rest = line[:i], strings.TrimSpace(line[j+1:])
			}
		}
		v, err := strconv.ParseFloat(strings.Fields(rest + " ")[0], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out
}
