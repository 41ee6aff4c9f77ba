package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"conclave/client"
)

// Tile is the size, in CSS pixels, a bot reports for a video it shows (`video-size`).
type Tile struct {
	Width, Height int
}

// String formats the tile as WxH, as --tile takes it.
func (t Tile) String() string { return fmt.Sprintf("%dx%d", t.Width, t.Height) }

// parseTile reads WxH with both sides 1–16384 (the protocol's bound).
func parseTile(s string) (Tile, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || w < 1 || h < 1 || w > 16384 || h > 16384 {
		return Tile{}, fmt.Errorf("--tile %q: want WIDTHxHEIGHT, e.g. 320x180", s)
	}
	return Tile{Width: w, Height: h}, nil
}

// tiler plays one bot's grid: the first `visible` videos it receives (all when 0) are shown at
// the tile size, the others are reported off screen (0x0). A video is sized once, when the
// server's offer first announces its track. It is safe for concurrent use:
// client.Config.OnTrackAnnounced calls onTrack on the bot's session goroutine, possibly before
// Join has returned the client (attach).
type tiler struct {
	tile    Tile
	visible int
	log     *slog.Logger

	mu      sync.Mutex
	c       *client.Client // nil until attach
	seen    map[string]bool
	pending []sized // sized before attach
	shown   int
}

// sized is one video and the tile size it gets.
type sized struct {
	trackID string
	tile    Tile
}

func newTiler(tile Tile, visible int, log *slog.Logger) *tiler {
	return &tiler{tile: tile, visible: visible, log: log, seen: make(map[string]bool)}
}

// onTrack sizes a video track the first time it arrives.
func (t *tiler) onTrack(rt client.RemoteTrack) {
	if rt.Kind != "video" {
		return
	}
	t.mu.Lock()
	if t.seen[rt.TrackID] {
		t.mu.Unlock()
		return
	}
	t.seen[rt.TrackID] = true
	s := sized{trackID: rt.TrackID}
	if t.visible == 0 || t.shown < t.visible {
		s.tile = t.tile
		t.shown++
	}
	c := t.c
	if c == nil {
		t.pending = append(t.pending, s)
	}
	t.mu.Unlock()
	if c != nil {
		t.send(c, s)
	}
}

// videos returns the IDs of the video tracks announced to the bot so far.
func (t *tiler) videos() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Collect(maps.Keys(t.seen))
}

// attach hands the tiler its joined client and sends the sizes decided before.
func (t *tiler) attach(c *client.Client) {
	t.mu.Lock()
	t.c = c
	pending := t.pending
	t.pending = nil
	t.mu.Unlock()
	for _, s := range pending {
		t.send(c, s)
	}
}

// send reports one size. A server without `video-size` sends every video to everyone anyway,
// so that is no failure of the run; it is logged like a lost socket.
func (t *tiler) send(c *client.Client, s sized) {
	if err := c.SetVideoSize(s.trackID, s.tile.Width, s.tile.Height); err != nil {
		level := slog.LevelWarn
		if errors.Is(err, client.ErrUnsupported) {
			level = slog.LevelDebug
		}
		t.log.Log(context.Background(), level, "video size not sent", "track", s.trackID, slog.Any("err", err))
	}
}
