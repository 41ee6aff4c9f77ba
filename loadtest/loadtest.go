// Package loadtest runs `conclave loadtest`: N publishing and M
// subscribing bots (package client) in one room of a running Conclave for a
// duration, and reports what arrived and what it cost the server.
package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"conclave/client"

	"github.com/pion/webrtc/v4"
)

// Config is one load test. Zero values are not defaults: Main fills them
// from flags.
type Config struct {
	URL        string        // the server's https:// base URL
	Room       string        // room to meet in
	Pubs, Subs int           // publishing and subscribing bots
	Duration   time.Duration // how long to measure once everyone joined
	// Warmup is the wait between the last join and the start of the window, so
	// that the window holds neither the joins' signalling, ICE and DTLS nor the
	// wait for first key frames and keys.
	Warmup    time.Duration
	AudioOnly bool // publishers send audio only
	// Simulcast: publishers send their video as three encodings (when the server offers
	// simulcast; a server without it gets one).
	Simulcast bool
	// Speakers is how many publishers send their audio marked as speech, so that the
	// server's active speakers and last-N have someone to follow; the rest send the level of
	// silence. The speakers are the last publishers to join: their videos arrive last, so
	// they are off screen for bots that show --visible videos, which is the case last-N is for.
	Speakers int
	// Tile is the size every bot reports (`video-size`) for each video it shows; Visible is
	// how many videos each bot shows, the first to arrive (0: all); the others it reports off
	// screen (0x0). A zero Tile reports nothing.
	Tile       Tile
	Visible    int
	TLS        *tls.Config  // verifies the server
	MetricsURL string       // the server's /metrics (on --metrics), "" to skip server numbers
	Progress   io.Writer    // one line a second while running; nil for none
	Logger     *slog.Logger // bots' logs; nil discards
	// Secret is the room secret the bots encrypt with (end-to-end encryption, as browsers
	// do); nil sends media in clear.
	Secret []byte
}

// joinRetry bounds how long one bot keeps retrying a join the server
// refused as rate-limited (5 joins/s per address by default).
const joinRetry = 30 * time.Second

// Run joins the bots, measures for cfg.Duration, and leaves.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if _, err := scrape(ctx, cfg.MetricsURL); err != nil {
		return Report{}, err // fail before joining anyone
	}
	bots, err := joinAll(ctx, cfg)
	defer closeAll(bots)
	if err != nil {
		return Report{}, err
	}
	select {
	case <-ctx.Done():
		return Report{}, ctx.Err()
	case <-time.After(cfg.Warmup):
	}
	before, err := scrape(ctx, cfg.MetricsURL)
	if err != nil {
		return Report{}, err
	}
	start := time.Now()
	startStats := snapshot(bots)
	if err := measure(ctx, cfg, bots, start); err != nil {
		return Report{}, err
	}
	elapsed := time.Since(start)
	after, err := scrape(ctx, cfg.MetricsURL)
	if err != nil {
		return Report{}, err
	}
	return buildReport(cfg, bots, startStats, snapshot(bots), elapsed, before, after), nil
}

// bot is one joined client and what it publishes.
type bot struct {
	c       *client.Client
	publish bool
	tiles   *tiler // the videos it shows
}

// joinAll joins publishers first (so subscribers' join time includes the
// first media), each retrying while the server rate-limits joins.
func joinAll(ctx context.Context, cfg Config) ([]bot, error) {
	total := cfg.Pubs + cfg.Subs
	netw, err := newBufferedNet()
	if err != nil {
		return nil, fmt.Errorf("network interfaces: %w", err)
	}
	var bots []bot
	for i := range total {
		publish := i < cfg.Pubs
		c, tiles, err := joinOne(ctx, cfg, netw, i, publish)
		if err != nil {
			return bots, fmt.Errorf("join bot %d of %d: %w", i+1, total, err)
		}
		bots = append(bots, bot{c: c, publish: publish, tiles: tiles})
		fmt.Fprintf(cfg.Progress, "joined %d/%d\n", i+1, total)
	}
	return bots, nil
}

func joinOne(ctx context.Context, cfg Config, netw bufferedNet, i int, publish bool) (*client.Client, *tiler, error) {
	name := fmt.Sprintf("sub-%d", i-cfg.Pubs+1)
	if publish {
		name = fmt.Sprintf("pub-%d", i+1)
	}
	log := cfg.Logger.With("bot", name)
	tiles := newTiler(cfg.Tile, cfg.Visible, log)
	ccfg := client.Config{
		URL: wsURL(cfg.URL), TLSConfig: cfg.TLS, Room: cfg.Room, Name: name,
		Publish: client.Publish{Audio: publish, Video: publish && !cfg.AudioOnly,
			Simulcast: publish && !cfg.AudioOnly && cfg.Simulcast, Speaking: publish && i >= cfg.Pubs-cfg.Speakers},
		Logger: log, Secret: cfg.Secret,
		// Direct UDP only, loopback included: what is measured is forwarding,
		// not the TURN relay or ICE-TCP. Without host candidates on loopback,
		// bots next to the server reached it through its own TURN, which
		// received and sent every copy a second time.
		ICEServers:   []webrtc.ICEServer{},
		ICEIPFilter:  func(net.IP) bool { return true },
		NetworkTypes: []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6},
		Net:          netw,
	}
	if cfg.Tile != (Tile{}) {
		// At the offer, not at the first packet: a server sends a simulcast video only to
		// a tile it knows of.
		ccfg.OnTrackAnnounced = tiles.onTrack
	}
	deadline := time.Now().Add(joinRetry)
	for {
		jctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		c, err := client.Join(jctx, ccfg)
		cancel()
		if err == nil {
			tiles.attach(c)
			return c, tiles, nil
		}
		var se *client.ServerError
		if !errors.As(err, &se) || se.Code != "rate-limited" || time.Now().After(deadline) {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// measure waits for the duration, printing a progress line a second.
func measure(ctx context.Context, cfg Config, bots []bot, start time.Time) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(cfg.Duration)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end.C:
			return nil
		case <-tick.C:
			var pkts uint64
			for _, b := range bots {
				pkts += b.c.Stats().Packets
			}
			fmt.Fprintf(cfg.Progress, "t=%s bots=%d received=%d packets\n",
				time.Since(start).Round(time.Second), len(bots), pkts)
		}
	}
}

// snapshot takes every bot's counters.
func snapshot(bots []bot) []client.Stats {
	out := make([]client.Stats, len(bots))
	for i, b := range bots {
		out[i] = b.c.Stats()
	}
	return out
}

// closeAll leaves and closes every bot in parallel.
func closeAll(bots []bot) {
	var wg sync.WaitGroup
	for _, b := range bots {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = b.c.Leave(ctx)
			_ = b.c.Close()
		})
	}
	wg.Wait()
}

// percentile is the p-th percentile (0..100) of xs by nearest rank.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
