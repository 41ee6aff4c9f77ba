package admin

import (
	"net/http"
	"path"
	"time"

	"github.com/go-chi/chi/v5"
)

// roomAPIRoutes adds the rooms CRUD to the API router. Admins (and service
// tokens) see every room; moderators the rooms they created or were granted.
func (a *Admin) roomAPIRoutes(r chi.Router) {
	r.Get("/rooms", a.apiListRooms)
	r.Post("/rooms", a.apiCreateRoom)
	r.Get("/rooms/{slug}", a.apiGetRoom)
	r.Patch("/rooms/{slug}", a.apiUpdateRoom)
	r.Delete("/rooms/{slug}", a.apiDeleteRoom)
}

// apiRoom is a room as the API shows it: never the password or its hash.
type apiRoom struct {
	ID              int64     `json:"id"`
	Slug            string    `json:"slug"`
	Name            string    `json:"name"`
	Access          string    `json:"access"`
	HasPassword     bool      `json:"has_password"`
	Lobby           bool      `json:"lobby"`
	MaxParticipants int       `json:"max_participants"`
	E2EERequired    bool      `json:"e2ee_required"`
	SchoolMode      bool      `json:"school_mode"`
	CreatedBy       int64     `json:"created_by,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

func toAPIRoom(r Room) apiRoom {
	return apiRoom{ID: r.ID, Slug: r.Slug, Name: r.Name, Access: r.Access, HasPassword: r.HasPassword,
		Lobby: r.Lobby, MaxParticipants: r.MaxParticipants, E2EERequired: r.E2EERequired, SchoolMode: r.SchoolMode,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// apiNewRoom is the body of POST /rooms; omitted fields take NewRoom's defaults.
type apiNewRoom struct {
	Slug            string `json:"slug"`
	Name            string `json:"name"`
	Access          string `json:"access"`
	Password        string `json:"password"`
	Lobby           bool   `json:"lobby"`
	MaxParticipants int    `json:"max_participants"`
	E2EERequired    *bool  `json:"e2ee_required"`
	SchoolMode      bool   `json:"school_mode"`
}

// apiRoomUpdate is the body of PATCH /rooms/{slug}; omitted (or null) fields
// stay as they are.
type apiRoomUpdate struct {
	Name            *string `json:"name"`
	Access          *string `json:"access"`
	Password        *string `json:"password"`
	Lobby           *bool   `json:"lobby"`
	MaxParticipants *int    `json:"max_participants"`
	E2EERequired    *bool   `json:"e2ee_required"`
	SchoolMode      *bool   `json:"school_mode"`
}

// apiListRooms serves GET /rooms: {"rooms": [...]}, by slug.
func (a *Admin) apiListRooms(w http.ResponseWriter, r *http.Request) {
	rooms, err := a.roomsFor(r.Context(), principalFrom(r.Context()))
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	out := make([]apiRoom, 0, len(rooms))
	for _, room := range rooms {
		out = append(out, toAPIRoom(room))
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"rooms": out})
}

// apiCreateRoom serves POST /rooms: 201 with the room and its Location, 400
// on invalid fields, 409 if the slug is taken.
func (a *Admin) apiCreateRoom(w http.ResponseWriter, r *http.Request) {
	var in apiNewRoom
	if err := decodeJSON(w, r, &in); err != nil {
		a.apiError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	room, err := a.store.CreateRoom(r.Context(), p.actor(), NewRoom{Slug: in.Slug, Name: in.Name,
		Access: in.Access, Password: in.Password, Lobby: in.Lobby, MaxParticipants: in.MaxParticipants,
		E2EERequired: in.E2EERequired, SchoolMode: in.SchoolMode, CreatedBy: p.user.ID})
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	// From the request path, so it holds wherever the API is mounted.
	w.Header().Set("Location", path.Join(r.URL.Path, room.Slug))
	a.writeJSON(w, r, http.StatusCreated, toAPIRoom(room))
}

// apiGetRoom serves GET /rooms/{slug}.
func (a *Admin) apiGetRoom(w http.ResponseWriter, r *http.Request) {
	room, err := a.roomFor(r.Context(), principalFrom(r.Context()), chi.URLParam(r, "slug"))
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, toAPIRoom(room))
}

// apiUpdateRoom serves PATCH /rooms/{slug}: 200 with the room as it now is.
func (a *Admin) apiUpdateRoom(w http.ResponseWriter, r *http.Request) {
	var in apiRoomUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		a.apiError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if _, err := a.roomFor(r.Context(), p, chi.URLParam(r, "slug")); err != nil {
		a.apiError(w, r, err)
		return
	}
	room, err := a.store.UpdateRoom(r.Context(), p.actor(), chi.URLParam(r, "slug"), RoomUpdate{
		Name: in.Name, Access: in.Access, Password: in.Password, Lobby: in.Lobby,
		MaxParticipants: in.MaxParticipants, E2EERequired: in.E2EERequired, SchoolMode: in.SchoolMode})
	if err != nil {
		a.apiError(w, r, err)
		return
	}
	a.writeJSON(w, r, http.StatusOK, toAPIRoom(room))
}

// apiDeleteRoom serves DELETE /rooms/{slug}: 204 with no body.
func (a *Admin) apiDeleteRoom(w http.ResponseWriter, r *http.Request) {
	p, slug := principalFrom(r.Context()), chi.URLParam(r, "slug")
	if _, err := a.roomFor(r.Context(), p, slug); err != nil {
		a.apiError(w, r, err)
		return
	}
	if err := a.store.DeleteRoom(r.Context(), p.actor(), slug); err != nil {
		a.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
