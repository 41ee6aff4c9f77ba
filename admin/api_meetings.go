package admin

import (
	"net/http"
	"sort"
	"time"

	"github.com/go-chi/chi/v5"
)

// apiMeeting is a running meeting in JSON (the API and the dashboard's events).
type apiMeeting struct {
	Room            string           `json:"room"`
	Started         time.Time        `json:"started"`
	DurationSeconds int64            `json:"duration_seconds"`
	Participants    []apiParticipant `json:"participants"`
}

type apiParticipant struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Joined     time.Time `json:"joined"`
	TURN       bool      `json:"turn"`
	Lobby      bool      `json:"lobby"`
	BitrateIn  int64     `json:"bitrate_in"`
	BitrateOut int64     `json:"bitrate_out"`
}

// toAPIMeetings converts and sorts meetings by room, participants by join time.
func toAPIMeetings(ms []Meeting, now time.Time) []apiMeeting {
	out := make([]apiMeeting, 0, len(ms))
	for _, m := range ms {
		am := apiMeeting{Room: m.Room, Started: m.Started.UTC(), Participants: make([]apiParticipant, 0, len(m.Participants))}
		if !m.Started.IsZero() {
			am.DurationSeconds = int64(now.Sub(m.Started).Seconds())
		}
		for _, p := range m.Participants {
			am.Participants = append(am.Participants, apiParticipant{ID: p.ID, Name: p.Name, Role: p.Role,
				Joined: p.Joined.UTC(), TURN: p.TURN, Lobby: p.Lobby, BitrateIn: p.BitrateIn, BitrateOut: p.BitrateOut})
		}
		sort.SliceStable(am.Participants, func(i, j int) bool {
			return am.Participants[i].Joined.Before(am.Participants[j].Joined)
		})
		out = append(out, am)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Room < out[j].Room })
	return out
}

// meetingAPIRoutes adds the live meetings to the API router; without a live
// view (Config.Meetings nil) they are 404.
func (a *Admin) meetingAPIRoutes(r chi.Router) {
	r.Get("/meetings", a.apiListMeetings)
	r.Post("/meetings/{room}/end", a.apiMeetingAction("meeting.end", func(m Meetings, r *http.Request, room, _ string) error {
		return m.End(r.Context(), room)
	}))
	r.Post("/meetings/{room}/participants/{id}/remove", a.apiMeetingAction("meeting.remove",
		func(m Meetings, r *http.Request, room, id string) error { return m.Remove(r.Context(), room, id) }))
	r.Post("/meetings/{room}/participants/{id}/mute", a.apiMeetingAction("meeting.mute",
		func(m Meetings, r *http.Request, room, id string) error { return m.Mute(r.Context(), room, id) }))
	r.Post("/meetings/{room}/participants/{id}/admit", a.apiMeetingAction("meeting.admit",
		func(m Meetings, r *http.Request, room, id string) error { return m.Admit(r.Context(), room, id) }))
	r.Post("/meetings/{room}/participants/{id}/deny", a.apiMeetingAction("meeting.deny",
		func(m Meetings, r *http.Request, room, id string) error { return m.Deny(r.Context(), room, id) }))
}

// apiListMeetings serves GET /meetings: {"meetings": [...]}, the meetings the
// token may see.
func (a *Admin) apiListMeetings(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Meetings == nil {
		a.apiError(w, r, ErrNotFound)
		return
	}
	ms, err := a.liveMeetings(r.Context(), principalFrom(r.Context()))
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"meetings": toAPIMeetings(ms, a.store.now())})
}

// apiMeetingAction serves one POST action on a meeting: 204 when done, 404
// for a meeting or participant that does not exist or is not the token's.
func (a *Admin) apiMeetingAction(action string, do func(Meetings, *http.Request, string, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		room, id := chi.URLParam(r, "room"), chi.URLParam(r, "id")
		err := a.meetingFor(r.Context(), p, room)
		if err == nil {
			err = do(a.cfg.Meetings, r, room, id)
		}
		if err != nil {
			a.apiError(w, r, err)
			return
		}
		a.auditMeeting(r, p, action, room, id)
		w.WriteHeader(http.StatusNoContent)
	}
}
