package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// roomForm is the room form as submitted or prefilled.
type roomForm struct {
	Slug, Name, Access, Password string
	Lobby, E2EERequired          bool
	SchoolMode                   bool
	MaxParticipants              string
	Moderators                   []int64
}

// modChoice is one checkbox of the moderators list.
type modChoice struct {
	ID       int64
	Username string
	Name     string
	Checked  bool
}

// roomPage is the data of room.html, for a new room (New) or an existing one.
type roomPage struct {
	New        bool
	Room       Room
	Form       roomForm
	Candidates []modChoice
	Error      string
	Live       int
	// Owner names the room's creator, if that account still exists.
	Owner string
}

// roomsPage is the data of rooms.html.
type roomsPage struct {
	Rooms []roomListItem
}

// roomListItem is one row of the rooms table, with its live participant count.
type roomListItem struct {
	Room
	Live int
}

func parseRoomForm(v url.Values) roomForm {
	f := roomForm{Slug: strings.TrimSpace(v.Get("slug")), Name: strings.TrimSpace(v.Get("name")),
		Access: v.Get("access"), Password: v.Get("password"), Lobby: v.Get("lobby") == "on",
		E2EERequired: v.Get("e2ee_required") == "on", SchoolMode: v.Get("school_mode") == "on", MaxParticipants: strings.TrimSpace(v.Get("max_participants"))}
	for _, s := range v["moderators"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			f.Moderators = append(f.Moderators, id)
		}
	}
	return f
}

func (f roomForm) max() (int, error) {
	if f.MaxParticipants == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(f.MaxParticipants)
	if err != nil {
		return 0, ErrInvalidMaxParticipants
	}
	return n, nil
}

// liveCounts maps room slugs to their participant counts now.
func (a *Admin) liveCounts(r *http.Request) map[string]int {
	out := make(map[string]int)
	ms, err := a.liveMeetings(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return out
	}
	for _, m := range ms {
		out[m.Room] = len(m.Participants)
	}
	return out
}

// listRooms serves GET /rooms.
func (a *Admin) listRooms(w http.ResponseWriter, r *http.Request) {
	rooms, err := a.roomsFor(r.Context(), principalFrom(r.Context()))
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	live := a.liveCounts(r)
	page := roomsPage{}
	for _, room := range rooms {
		page.Rooms = append(page.Rooms, roomListItem{Room: room, Live: live[room.Slug]})
	}
	a.render(w, r, http.StatusOK, "rooms.html", page)
}

// candidates lists the accounts that can be granted moderation: moderators
// other than the room's creator (who moderates it anyway, as admins do).
func (a *Admin) candidates(r *http.Request, checked []int64, owner int64) ([]modChoice, error) {
	users, err := a.store.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	var out []modChoice
	for _, u := range users {
		if u.Role != RoleModerator || u.Disabled || u.ID == owner {
			continue
		}
		c := modChoice{ID: u.ID, Username: u.Username, Name: u.Name}
		for _, id := range checked {
			c.Checked = c.Checked || id == u.ID
		}
		out = append(out, c)
	}
	return out, nil
}

// newRoom serves GET /rooms/new, prefilled with the default room policy.
func (a *Admin) newRoom(w http.ResponseWriter, r *http.Request) {
	st, err := a.store.Settings(r.Context())
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	f := roomForm{Access: st.DefaultAccess, Lobby: st.DefaultLobby, E2EERequired: !st.DefaultE2EEOptional,
		MaxParticipants: "0"}
	a.renderRoomForm(w, r, http.StatusOK, roomPage{New: true, Form: f}, nil)
}

// renderRoomForm shows the room page with a message for a fixable error;
// any other error goes to httpError.
func (a *Admin) renderRoomForm(w http.ResponseWriter, r *http.Request, status int, page roomPage, ferr error) {
	if ferr != nil {
		if page.Error = roomFormMessage(ferr); page.Error == "" {
			a.httpError(w, r, ferr)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	var err error
	if page.Candidates, err = a.candidates(r, page.Form.Moderators, page.Room.CreatedBy); err != nil {
		a.httpError(w, r, err)
		return
	}
	a.render(w, r, status, "room.html", page)
}

// roomFormMessage explains a fixable room form error, or returns "".
func roomFormMessage(err error) string {
	var msgs []string
	for _, c := range []struct {
		err error
		msg string
	}{
		{ErrInvalidSlug, "The link name must be 1 to 64 of a–z, 0–9, '-' or '_' (lower case)."},
		{ErrInvalidName, "The name must be 1 to 64 printable characters."},
		{ErrInvalidAccess, "Choose who may join."},
		{ErrRoomPassword, "A password room needs a password; the other kinds take none."},
		{ErrWeakPassword, "The room password must have at least 10 characters."},
		{ErrPasswordTooLong, "The room password is too long."},
		{ErrInvalidMaxParticipants, "The participant limit must be 0 (none) to 1000."},
		{ErrExists, "A room with that link name exists already."},
		{ErrInvalidRole, "Only moderators can be granted a room."},
	} {
		if errors.Is(err, c.err) {
			msgs = append(msgs, c.msg)
		}
	}
	return strings.Join(msgs, " ")
}

// createRoom serves POST /rooms. The creator owns the room, so a moderator
// who creates one manages it.
func (a *Admin) createRoom(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		a.httpError(w, r, err)
		return
	}
	p, f := principalFrom(r.Context()), parseRoomForm(r.PostForm)
	page := roomPage{New: true, Form: f}
	limit, err := f.max()
	if err != nil {
		a.renderRoomForm(w, r, 0, page, err)
		return
	}
	e2ee := f.E2EERequired
	password := f.Password
	if f.Access != AccessPassword {
		password = ""
	}
	room, err := a.store.CreateRoom(r.Context(), p.actor(), NewRoom{Slug: f.Slug, Name: f.Name, Access: f.Access,
		Password: password, Lobby: f.Lobby, MaxParticipants: limit, E2EERequired: &e2ee,
		SchoolMode: f.SchoolMode, CreatedBy: p.user.ID})
	if err == nil && len(f.Moderators) > 0 {
		err = a.store.SetRoomModerators(r.Context(), p.actor(), room.Slug, f.Moderators)
	}
	if err != nil {
		a.renderRoomForm(w, r, 0, page, err)
		return
	}
	redirectDone(w, r, "/rooms/"+room.Slug, "room-created")
}

// showRoom serves GET /rooms/{slug}: the meeting link maker and the room's settings.
func (a *Admin) showRoom(w http.ResponseWriter, r *http.Request) {
	room, err := a.roomFor(r.Context(), principalFrom(r.Context()), chi.URLParam(r, "slug"))
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	mods, err := a.store.RoomModerators(r.Context(), room.Slug)
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.renderRoomForm(w, r, http.StatusOK, a.roomPageOf(r, room, mods), nil)
}

func (a *Admin) roomPageOf(r *http.Request, room Room, mods []User) roomPage {
	f := roomForm{Slug: room.Slug, Name: room.Name, Access: room.Access, Lobby: room.Lobby,
		E2EERequired: room.E2EERequired, SchoolMode: room.SchoolMode, MaxParticipants: strconv.Itoa(room.MaxParticipants)}
	for _, m := range mods {
		f.Moderators = append(f.Moderators, m.ID)
	}
	page := roomPage{Room: room, Form: f, Live: a.liveCounts(r)[room.Slug]}
	if room.CreatedBy != 0 {
		if u, err := a.store.UserByID(r.Context(), room.CreatedBy); err == nil {
			page.Owner = u.Username
			if u.Name != "" {
				page.Owner = u.Name + " (" + u.Username + ")"
			}
		}
	}
	return page
}

// updateRoom serves POST /rooms/{slug}. An empty password keeps the
// current one; switching away from password access drops it.
func (a *Admin) updateRoom(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	room, err := a.roomFor(r.Context(), p, chi.URLParam(r, "slug"))
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	f := parseRoomForm(r.PostForm)
	f.Slug = room.Slug
	page := roomPage{Room: room, Form: f}
	limit, err := f.max()
	if err != nil {
		a.renderRoomForm(w, r, 0, page, err)
		return
	}
	u := RoomUpdate{Name: &f.Name, Access: &f.Access, Lobby: &f.Lobby, MaxParticipants: &limit,
		E2EERequired: &f.E2EERequired, SchoolMode: &f.SchoolMode}
	if f.Password != "" && f.Access == AccessPassword {
		u.Password = &f.Password
	}
	if _, err = a.store.UpdateRoom(r.Context(), p.actor(), room.Slug, u); err == nil {
		err = a.store.SetRoomModerators(r.Context(), p.actor(), room.Slug, f.Moderators)
	}
	if err != nil {
		a.renderRoomForm(w, r, 0, page, err)
		return
	}
	redirectDone(w, r, "/rooms/"+room.Slug, "room-saved")
}

// deleteRoom serves POST /rooms/{slug}/delete.
func (a *Admin) deleteRoom(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	room, err := a.roomFor(r.Context(), p, chi.URLParam(r, "slug"))
	if err == nil {
		err = a.store.DeleteRoom(r.Context(), p.actor(), room.Slug)
	}
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	redirectDone(w, r, "/rooms", "room-deleted")
}
