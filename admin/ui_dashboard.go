package admin

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// dashboardPage is the data of dashboard.html; it renders the same snapshot
// that /events then keeps fresh.
type dashboardPage struct {
	Snapshot    snapshot
	HasMeetings bool
	Rooms       int
}

// snapshot is the dashboard's live data, as HTML data and as the JSON of an
// SSE event.
type snapshot struct {
	At       time.Time    `json:"at"`
	Meetings []apiMeeting `json:"meetings"`
	Health   *apiHealth   `json:"health"`
}

// apiHealth is Health in JSON.
type apiHealth struct {
	Version       string    `json:"version"`
	UptimeSeconds int64     `json:"uptime_seconds"`
	Uptime        string    `json:"uptime"`
	CPUSeconds    float64   `json:"cpu_seconds"`
	RSSBytes      int64     `json:"rss_bytes"`
	RSS           string    `json:"rss"`
	Goroutines    int       `json:"goroutines"`
	TLSMode       string    `json:"tls_mode"`
	CertExpiry    time.Time `json:"cert_expiry"`
	CertDaysLeft  int       `json:"cert_days_left"`
	CertError     string    `json:"cert_error"`
	CAFingerprint string    `json:"ca_fingerprint"`
}

func toAPIHealth(h Health, now time.Time) *apiHealth {
	out := &apiHealth{Version: h.Version, UptimeSeconds: int64(h.Uptime.Seconds()), Uptime: fmtDuration(h.Uptime),
		CPUSeconds: h.CPUSeconds, RSSBytes: h.RSSBytes, RSS: fmtBytes(h.RSSBytes), Goroutines: h.Goroutines,
		TLSMode: h.TLSMode, CertExpiry: h.CertExpiry, CertError: h.CertError, CAFingerprint: h.CAFingerprint}
	if !h.CertExpiry.IsZero() {
		out.CertDaysLeft = int(h.CertExpiry.Sub(now).Hours() / 24)
	}
	return out
}

// snapshotFor builds what p may see now.
func (a *Admin) snapshotFor(r *http.Request, p principal) (snapshot, error) {
	now := a.store.now()
	snap := snapshot{At: now.UTC(), Meetings: []apiMeeting{}}
	ms, err := a.liveMeetings(r.Context(), p)
	if err != nil {
		return snapshot{}, err
	}
	snap.Meetings = toAPIMeetings(ms, now)
	if a.cfg.Health != nil && p.isAdmin() {
		snap.Health = toAPIHealth(a.cfg.Health(), now)
	}
	return snap, nil
}

// dashboard serves the home page: the live dashboard for staff, a short
// "you are signed in" page for members (who may join members-only rooms).
func (a *Admin) dashboard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !p.isStaff() {
		a.render(w, r, http.StatusOK, "member.html", nil)
		return
	}
	snap, err := a.snapshotFor(r, p)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	rooms, err := a.roomsFor(r.Context(), p)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dashboard.html", dashboardPage{Snapshot: snap,
		HasMeetings: a.cfg.Meetings != nil, Rooms: len(rooms)})
}

// meetingAction runs one moderation action from a dashboard form and
// audits it; the dashboard then shows the outcome.
func (a *Admin) meetingAction(w http.ResponseWriter, r *http.Request, action, done string,
	do func(m Meetings, room, id string) error) {
	p := principalFrom(r.Context())
	room, id := chi.URLParam(r, "room"), chi.URLParam(r, "id")
	err := a.meetingFor(r.Context(), p, room)
	if err == nil {
		err = do(a.cfg.Meetings, room, id)
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.auditMeeting(r, p, action, room, id)
	redirectDone(w, r, "/", done)
}

// auditMeeting records a moderation action; the action already happened, so
// a failure to record it is logged, not returned.
func (a *Admin) auditMeeting(r *http.Request, p principal, action, room, id string) {
	detail := map[string]any{}
	if id != "" {
		detail["participant"] = id
	}
	if err := a.store.Audit(r.Context(), p.actor(), action, roomObject(room), detail); err != nil {
		a.log.ErrorContext(r.Context(), "audit meeting action", slog.String("action", action), slog.Any("err", err))
	}
}

func (a *Admin) postEndMeeting(w http.ResponseWriter, r *http.Request) {
	a.meetingAction(w, r, "meeting.end", "meeting-ended", func(m Meetings, room, _ string) error {
		return m.End(r.Context(), room)
	})
}

func (a *Admin) postRemoveParticipant(w http.ResponseWriter, r *http.Request) {
	a.meetingAction(w, r, "meeting.remove", "participant-removed", func(m Meetings, room, id string) error {
		return m.Remove(r.Context(), room, id)
	})
}

func (a *Admin) postAdmitParticipant(w http.ResponseWriter, r *http.Request) {
	a.meetingAction(w, r, "meeting.admit", "participant-admitted", func(m Meetings, room, id string) error {
		return m.Admit(r.Context(), room, id)
	})
}

func (a *Admin) postDenyParticipant(w http.ResponseWriter, r *http.Request) {
	a.meetingAction(w, r, "meeting.deny", "participant-denied", func(m Meetings, room, id string) error {
		return m.Deny(r.Context(), room, id)
	})
}

func (a *Admin) postMuteParticipant(w http.ResponseWriter, r *http.Request) {
	a.meetingAction(w, r, "meeting.mute", "participant-muted", func(m Meetings, room, id string) error {
		return m.Mute(r.Context(), room, id)
	})
}
