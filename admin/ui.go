package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// flashText maps the ?done= code of a redirect after a POST to a fixed
// message. Unknown codes show nothing: the page never echoes the query.
func flashText(code string) string {
	return map[string]string{
		"room-created": "Room created.", "room-saved": "Room saved.", "room-deleted": "Room deleted.",
		"user-saved": "User saved.", "user-deleted": "User deleted.", "password-set": "Password changed; the user was signed out everywhere.",
		"settings-saved": "Settings saved.", "turn-rotated": "TURN secret rotated. Credentials already handed out stay valid for a day.",
		"token-revoked": "Token revoked.", "meeting-ended": "Meeting ended.",
		"participant-removed": "Participant removed.", "participant-muted": "Participant asked to mute.",
		"participant-admitted": "Let in from the lobby.", "participant-denied": "Turned away from the lobby.",
	}[code]
}

// redirectDone sends the browser to path with a ?done= code (POST/redirect/GET).
func redirectDone(w http.ResponseWriter, r *http.Request, path, code string) {
	target := basePath + path
	if code != "" {
		target += "?done=" + url.QueryEscape(code)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// parseForm reads a bounded urlencoded form body.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: parse form: %w", errBadRequest, err)
	}
	return nil
}

// templateFuncs are the formatting helpers the views use.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"duration": fmtDuration,
		"bytes":    fmtBytes,
		"bitrate":  fmtBitrate,
		"add":      func(a, b int) int { return a + b },
		"secs":     func(s int64) time.Duration { return time.Duration(s) * time.Second },
	}
}

// fmtDuration shows a duration to the second, as "1 h 05 min" or "3 min 07 s".
func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h >= 24:
		return fmt.Sprintf("%d d %d h", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, s)
	}
	return fmt.Sprintf("%d s", s)
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtBitrate(bps int64) string {
	switch {
	case bps >= 1_000_000:
		return fmt.Sprintf("%.1f Mbit/s", float64(bps)/1e6)
	case bps >= 1000:
		return fmt.Sprintf("%d kbit/s", bps/1000)
	}
	return fmt.Sprintf("%d bit/s", bps)
}
