package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Who may open an ad-hoc room (a /r/NAME that is not configured).
const (
	AdHocAnyone   = "anyone"
	AdHocSignedIn = "signed-in"
	AdHocAdmins   = "admins"
)

// settingsKey is the settings row that holds Settings as JSON.
const settingsKey = "instance"

// maxEmbedOrigins bounds the embed allow-list.
const maxEmbedOrigins = 32

// Settings are the instance-wide options of the settings page. Missing
// values read as the defaults, so a fresh database is a working server:
// anyone may open ad-hoc rooms, as `go run .` promises.
type Settings struct {
	// InstanceName is shown in the admin header; empty means "Conclave".
	InstanceName string `json:"instance_name,omitempty"`
	// AdHoc is AdHocAnyone, AdHocSignedIn or AdHocAdmins.
	AdHoc string `json:"ad_hoc,omitempty"`
	// DefaultAccess, DefaultLobby and DefaultE2EERequired prefill the form of a new room.
	DefaultAccess       string `json:"default_access,omitempty"`
	DefaultLobby        bool   `json:"default_lobby,omitempty"`
	DefaultE2EEOptional bool   `json:"default_e2ee_optional,omitempty"`
	// EmbedOrigins may frame the meeting page (CSP frame-ancestors). Each is
	// an origin, scheme://host[:port].
	EmbedOrigins []string `json:"embed_origins,omitempty"`
}

// DisplayName is the instance name to show.
func (st Settings) DisplayName() string {
	if st.InstanceName == "" {
		return "Conclave"
	}
	return st.InstanceName
}

func (st *Settings) defaults() {
	if st.AdHoc == "" {
		st.AdHoc = AdHocAnyone
	}
	if st.DefaultAccess == "" {
		st.DefaultAccess = AccessPublic
	}
}

func (st Settings) validate() error {
	var err error
	if st.InstanceName != "" {
		err = validateTokenName(st.InstanceName)
	}
	if !slices.Contains([]string{AdHocAnyone, AdHocSignedIn, AdHocAdmins}, st.AdHoc) {
		err = errors.Join(err, fmt.Errorf("%w: ad_hoc must be anyone, signed-in or admins", ErrInvalidSetting))
	}
	if !slices.Contains([]string{AccessPublic, AccessPassword, AccessMembers}, st.DefaultAccess) {
		err = errors.Join(err, ErrInvalidAccess)
	}
	if len(st.EmbedOrigins) > maxEmbedOrigins {
		err = errors.Join(err, fmt.Errorf("%w: at most %d embed origins", ErrInvalidSetting, maxEmbedOrigins))
	}
	for _, o := range st.EmbedOrigins {
		if _, oerr := NormalizeOrigin(o); oerr != nil {
			err = errors.Join(err, oerr)
		}
	}
	return err
}

// NormalizeOrigin checks that s is exactly an origin, https://host[:port]
// (http only for localhost and loopback addresses), and returns it in lower
// case without a default port. Paths, queries, user info, wildcards and
// CSP keywords are refused: the value goes verbatim into a CSP header.
func NormalizeOrigin(s string) (string, error) {
	bad := fmt.Errorf("%w: %q", ErrInvalidOrigin, s)
	if len(s) > 253+16 || strings.ContainsAny(s, " \t\r\n;,'\"*\\") {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		u.ForceQuery || (u.Path != "" && u.Path != "/") || u.Host == "" {
		return "", bad
	}
	host, port := u.Hostname(), u.Port()
	scheme := strings.ToLower(u.Scheme)
	loopback := host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback()
	if scheme != "https" && !(scheme == "http" && loopback) {
		return "", bad
	}
	if !validHost(host) {
		return "", bad
	}
	host = strings.ToLower(host)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		return scheme + "://" + host, nil
	}
	return scheme + "://" + host + ":" + port, nil
}

// validHost accepts an IP address or a DNS name of letters, digits, '-' and '.'.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Settings returns the instance settings, with defaults filled in.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	return readSettings(ctx, s.rdb)
}

func readSettings(ctx context.Context, q querier) (Settings, error) {
	var st Settings
	var js string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingsKey).Scan(&js)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Settings{}, fmt.Errorf("read settings: %w", err)
	default:
		if err := json.Unmarshal([]byte(js), &st); err != nil {
			return Settings{}, fmt.Errorf("decode settings: %w", err)
		}
	}
	st.defaults()
	return st, nil
}

// UpdateSettings validates and stores st (origins normalised), auditing the change.
func (s *Store) UpdateSettings(ctx context.Context, actor string, st Settings) (Settings, error) {
	st.defaults()
	if err := errors.Join(st.validate(), validateActor(actor)); err != nil {
		return Settings{}, fmt.Errorf("update settings: %w", err)
	}
	origins := make([]string, 0, len(st.EmbedOrigins))
	for _, o := range st.EmbedOrigins {
		n, _ := NormalizeOrigin(o)
		if !slices.Contains(origins, n) {
			origins = append(origins, n)
		}
	}
	st.EmbedOrigins = origins
	js, err := json.Marshal(st)
	if err != nil {
		return Settings{}, fmt.Errorf("encode settings: %w", err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingsKey, string(js)); err != nil {
			return fmt.Errorf("store settings: %w", err)
		}
		return s.audit(ctx, tx, auditEntry{actor: actor, action: "settings.update", object: "settings",
			detail: map[string]any{"instance_name": st.InstanceName, "ad_hoc": st.AdHoc,
				"default_access": st.DefaultAccess, "embed_origins": st.EmbedOrigins}})
	})
	if err != nil {
		return Settings{}, fmt.Errorf("update settings: %w", err)
	}
	return st, nil
}

// EmbedOrigins returns the origins that may frame the meeting page, for the
// appliance's CSP frame-ancestors; empty means none ('none').
func (a *Admin) EmbedOrigins(ctx context.Context) ([]string, error) {
	st, err := a.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return st.EmbedOrigins, nil
}
