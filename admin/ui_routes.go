package admin

import "github.com/go-chi/chi/v5"

// staffRoutes are the pages admins and moderators share; handlers narrow
// moderators to their own rooms and tokens.
func (a *Admin) staffRoutes(r chi.Router) {
	r.Get("/events", a.events)
	r.Post("/meetings/{room}/end", a.postEndMeeting)
	r.Post("/meetings/{room}/participants/{id}/remove", a.postRemoveParticipant)
	r.Post("/meetings/{room}/participants/{id}/mute", a.postMuteParticipant)
	r.Post("/meetings/{room}/participants/{id}/admit", a.postAdmitParticipant)
	r.Post("/meetings/{room}/participants/{id}/deny", a.postDenyParticipant)
	r.Get("/rooms", a.listRooms)
	r.Get("/rooms/new", a.newRoom)
	r.Post("/rooms", a.createRoom)
	r.Get("/rooms/{slug}", a.showRoom)
	r.Post("/rooms/{slug}", a.updateRoom)
	r.Post("/rooms/{slug}/delete", a.deleteRoom)
	r.Get("/tokens", a.listTokens)
	r.Post("/tokens", a.createToken)
	r.Post("/tokens/{id}/revoke", a.revokeToken)
}

// adminRoutes are the pages only admins may open.
func (a *Admin) adminRoutes(r chi.Router) {
	r.Get("/users", a.listUsers)
	r.Post("/users", a.createUser)
	r.Post("/users/bulk", a.bulkCreateUsers)
	r.Get("/users/{username}", a.showUser)
	r.Post("/users/{username}", a.updateUser)
	r.Post("/users/{username}/password", a.setUserPassword)
	r.Post("/users/{username}/invite", a.inviteUser)
	r.Post("/users/{username}/delete", a.deleteUser)
	r.Get("/settings", a.showSettings)
	r.Post("/settings", a.updateSettings)
	r.Post("/settings/turn-secret", a.rotateTURNSecret)
	r.Get("/audit", a.showAudit)
}
