package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// settingsPage is the data of settings.html.
type settingsPage struct {
	Settings Settings
	Origins  string
	Error    string
	// TURNRotatedAt is when the TURN secret last changed; zero if never.
	TURNRotated string
}

// showSettings serves GET /settings.
func (a *Admin) showSettings(w http.ResponseWriter, r *http.Request) {
	st, err := a.store.Settings(r.Context())
	if err != nil {
		a.httpError(w, r, err)
		return
	}
	a.renderSettings(w, r, http.StatusOK, settingsPage{Settings: st, Origins: strings.Join(st.EmbedOrigins, "\n")})
}

func (a *Admin) renderSettings(w http.ResponseWriter, r *http.Request, status int, page settingsPage) {
	if v, err := a.store.Secrets(r.Context(), SecretTURN); err == nil && !v.RotatedAt.IsZero() {
		page.TURNRotated = v.RotatedAt.Format("2006-01-02 15:04 UTC")
	}
	a.render(w, r, status, "settings.html", page)
}

// updateSettings serves POST /settings.
func (a *Admin) updateSettings(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		a.httpError(w, r, err)
		return
	}
	v := r.PostForm
	st := Settings{InstanceName: strings.TrimSpace(v.Get("instance_name")), AdHoc: v.Get("ad_hoc"),
		DefaultAccess: v.Get("default_access"), DefaultLobby: v.Get("default_lobby") == "on",
		DefaultE2EEOptional: v.Get("default_e2ee_required") != "on"}
	origins := v.Get("embed_origins")
	for _, line := range strings.FieldsFunc(origins, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			st.EmbedOrigins = append(st.EmbedOrigins, line)
		}
	}
	if _, err := a.store.UpdateSettings(r.Context(), principalFrom(r.Context()).actor(), st); err != nil {
		msg := settingsMessage(err)
		if msg == "" {
			a.httpError(w, r, err)
			return
		}
		a.renderSettings(w, r, http.StatusUnprocessableEntity, settingsPage{Settings: st, Origins: origins, Error: msg})
		return
	}
	redirectDone(w, r, "/settings", "settings-saved")
}

// settingsMessage explains a fixable settings error, or returns "".
func settingsMessage(err error) string {
	switch {
	case errors.Is(err, ErrInvalidOrigin):
		return "Each embed origin must be exactly https://host or https://host:port, one a line: no path, no wildcard. " +
			"Refused: " + strings.TrimPrefix(firstOrigin(err), "admin: ")
	case errors.Is(err, ErrInvalidName):
		return "The instance name must be 1 to 64 printable characters."
	case errors.Is(err, ErrInvalidSetting), errors.Is(err, ErrInvalidAccess):
		return "Choose one of the offered values. At most " + strconv.Itoa(maxEmbedOrigins) + " embed origins."
	}
	return ""
}

// firstOrigin pulls the first refused origin out of a joined error.
func firstOrigin(err error) string {
	for _, line := range strings.Split(err.Error(), "\n") {
		if _, rest, ok := strings.Cut(line, ErrInvalidOrigin.Error()+": "); ok {
			return rest
		}
	}
	return ""
}

// rotateTURNSecret serves POST /settings/turn-secret: a new TURN secret.
// The previous one keeps verifying credentials for a grace period.
func (a *Admin) rotateTURNSecret(w http.ResponseWriter, r *http.Request) {
	if _, err := a.store.EnsureSecret(r.Context(), SecretTURN); err != nil {
		a.httpError(w, r, err)
		return
	}
	if err := a.store.RotateSecret(r.Context(), principalFrom(r.Context()).actor(), SecretTURN); err != nil {
		a.httpError(w, r, err)
		return
	}
	if a.cfg.TURNSecretRotated != nil {
		a.cfg.TURNSecretRotated()
	}
	redirectDone(w, r, "/settings", "turn-rotated")
}
