package admin

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// streamLifetime ends an event stream after a while; the browser's
// EventSource reconnects at once, through the session check, so a stream
// never outlives its session by more than this.
const streamLifetime = 5 * time.Minute

// events serves GET /events: a text/event-stream of dashboard snapshots,
// one at once and then one every EventInterval, until the client leaves,
// the stream's lifetime ends or the Admin closes.
func (a *Admin) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	p := principalFrom(r.Context())
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(a.cfg.EventInterval)
	defer tick.Stop()
	end := time.NewTimer(streamLifetime)
	defer end.Stop()
	for {
		if err := a.sendSnapshot(w, r, p); err != nil {
			a.log.DebugContext(r.Context(), "event stream ended", slog.Any("err", err))
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-a.done:
			return
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}

// sendSnapshot writes one "snapshot" event.
func (a *Admin) sendSnapshot(w http.ResponseWriter, r *http.Request, p principal) error {
	snap, err := a.snapshotFor(r, p)
	if err != nil {
		return err
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	// JSON has no raw newlines, so one data: line carries it.
	_, err = fmt.Fprintf(w, "event: snapshot\ndata: %s\n\n", b)
	return err
}
