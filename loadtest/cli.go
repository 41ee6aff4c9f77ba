package loadtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

const usage = `usage: conclave loadtest --url URL [flags]

Joins --pubs publishing and --subs subscribing bots to one room of a running
Conclave, measures for --duration, and reports received bitrate, loss, join
times and, with --metrics, the server's CPU per forwarded packet. The bots
encrypt end to end as browsers do, with a random room secret unless --secret
names one (the meeting link is printed to stderr) or --no-e2ee turns it off.
Every bot shows the videos it receives in --tile sized tiles (the first
--visible of them; the others are off screen), and tells the server so; with
--simulcast the publishers send three encodings and the report counts the
received videos by resolution.
`

// Main runs `conclave loadtest` and returns the exit code: 0 done, 1 the
// test failed to run, 2 bad flags.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, asJSON, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "conclave loadtest: %v\n", err)
		return 2
	}
	cfg.Progress = stderr
	if cfg.Secret != nil {
		// The link lets a person watch the bots in a browser; it holds the key, so it goes
		// to stderr with the progress lines, not into the report.
		fmt.Fprintf(stderr, "meeting link: %s/r/%s#k=%s\n", strings.TrimSuffix(cfg.URL, "/"),
			strings.ToLower(cfg.Room), base64.RawURLEncoding.EncodeToString(cfg.Secret))
	}
	r, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "conclave loadtest: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return 0
	}
	printReport(stdout, cfg, r)
	return 0
}

// printReport prints the report as text lines.
func printReport(stdout io.Writer, cfg Config, r Report) {
	fmt.Fprintf(stdout, "bots %d for %.1f s: received %d packets, %.2f Mbit/s, loss %.4f %%, join p50 %.0f ms p95 %.0f ms\n",
		r.Bots, r.Seconds, r.Subscribers.Packets, r.Subscribers.Mbps, r.Subscribers.LossRatio*100, r.JoinMS.P50, r.JoinMS.P95)
	if r.E2EE {
		fmt.Fprintf(stdout, "e2ee: %d frames decrypted, %d failed, %d without key\n",
			r.Subscribers.DecryptedFrames, r.Subscribers.DecryptFailures, r.Subscribers.KeyMissing)
	}
	if r.Simulcast {
		fmt.Fprintf(stdout, "received videos by resolution: %s\n", formatResolutions(r.Subscribers.Resolutions))
	}
	if cfg.MetricsURL != "" {
		fmt.Fprintf(stdout, "server: %.3f CPU s/s, %.1f µs CPU per forwarded packet, %.0f MB RSS\n",
			r.Server.CPUSecondsPerSecond, r.Server.CPUMicrosPerForwardedPkt, r.Server.RSSMB)
	}
}

// parse reads the flags of DESIGN.md's loadtest contract. E2EE is on unless --no-e2ee.
func parse(args []string, stderr io.Writer) (Config, bool, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg Config
	var caFile string
	var insecure, asJSON, noE2EE bool
	var secret, tile string
	fs.StringVar(&cfg.URL, "url", "", "server base URL, e.g. https://meet.example.org")
	fs.StringVar(&cfg.Room, "room", "loadtest", "room name")
	fs.IntVar(&cfg.Pubs, "pubs", 2, "publishing bots (VP8 + Opus)")
	fs.IntVar(&cfg.Subs, "subs", 4, "subscribing bots")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to measure after everyone joined")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "wait after the last join before measuring")
	fs.BoolVar(&cfg.AudioOnly, "audio-only", false, "publishers send audio only")
	fs.BoolVar(&cfg.Simulcast, "simulcast", false, "publishers send their video as three encodings (160x90, 320x180, 640x360)")
	fs.IntVar(&cfg.Speakers, "speakers", 0, "publishers whose audio is marked as speech (the last to join); the others are silent")
	fs.StringVar(&tile, "tile", "320x180", "tile size WxH every bot reports for each video it shows")
	fs.IntVar(&cfg.Visible, "visible", 0, "videos each bot shows, the first to arrive (the others are off screen); 0: all")
	fs.StringVar(&secret, "secret", "", "room secret (32 bytes, unpadded base64url, the #k= of a meeting link); default: a random one")
	fs.BoolVar(&noE2EE, "no-e2ee", false, "send media in clear, to compare the cost of end-to-end encryption")
	fs.StringVar(&caFile, "ca", "", "PEM file with the root to trust (e.g. the server's /ca.crt)")
	fs.BoolVar(&insecure, "insecure", false, "do not verify the server's certificate")
	fs.StringVar(&cfg.MetricsURL, "metrics", "", "the server's Prometheus URL, e.g. http://127.0.0.1:9470/metrics")
	fs.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return cfg, false, err
	}
	var errs []error
	u, err := url.Parse(cfg.URL)
	if cfg.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("--url: want the server's https:// address"))
	}
	if cfg.Pubs < 1 || cfg.Subs < 0 || cfg.Pubs+cfg.Subs > 1000 {
		errs = append(errs, errors.New("--pubs must be at least 1, --subs at least 0, and together at most 1000"))
	}
	if cfg.Warmup < 0 {
		errs = append(errs, errors.New("--warmup must not be negative"))
	}
	if cfg.Duration <= 0 {
		errs = append(errs, errors.New("--duration must be positive"))
	}
	if cfg.Simulcast && cfg.AudioOnly {
		errs = append(errs, errors.New("--simulcast and --audio-only exclude each other"))
	}
	if cfg.Visible < 0 {
		errs = append(errs, errors.New("--visible must not be negative"))
	}
	if cfg.Speakers < 0 || cfg.Speakers > cfg.Pubs {
		errs = append(errs, errors.New("--speakers must be between 0 and --pubs"))
	}
	if cfg.Tile, err = parseTile(tile); err != nil {
		errs = append(errs, err)
	}
	if cfg.Secret, err = parseSecret(secret, noE2EE); err != nil {
		errs = append(errs, err)
	}
	if caFile != "" && insecure {
		errs = append(errs, errors.New("--ca and --insecure exclude each other"))
	}
	if len(errs) > 0 {
		return cfg, false, errors.Join(errs...)
	}
	cfg.TLS, err = tlsConfig(caFile, insecure)
	return cfg, asJSON, err
}

// parseSecret reads --secret, or makes a random secret for this run; nil with --no-e2ee.
func parseSecret(secret string, noE2EE bool) ([]byte, error) {
	switch {
	case noE2EE && secret != "":
		return nil, errors.New("--secret and --no-e2ee exclude each other")
	case noE2EE:
		return nil, nil
	case secret == "":
		s := make([]byte, 32)
		_, _ = rand.Read(s) // crypto/rand.Read never fails (Go 1.24)
		return s, nil
	}
	s, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(s) != 32 {
		return nil, errors.New("--secret: want 32 bytes in unpadded base64url (43 characters)")
	}
	return s, nil
}

func tlsConfig(caFile string, insecure bool) (*tls.Config, error) {
	if insecure {
		return &tls.Config{InsecureSkipVerify: true}, nil // the operator asked for it with --insecure
	}
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca %s: no PEM certificate in it", caFile)
	}
	return &tls.Config{RootCAs: pool}, nil
}

// wsURL turns the server's base URL into its signaling URL.
func wsURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	base = strings.Replace(base, "https://", "wss://", 1)
	base = strings.Replace(base, "http://", "ws://", 1)
	return base + "/ws"
}
