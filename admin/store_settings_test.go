package admin

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestNormalizeOrigin: only exact origins go into the frame-ancestors list.
func TestNormalizeOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://intranet.school.example", "https://intranet.school.example"},
		{"HTTPS://Intranet.School.Example/", "https://intranet.school.example"},
		{"https://lms.example:8443", "https://lms.example:8443"},
		{"https://lms.example:443", "https://lms.example"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://[2001:db8::1]", "https://[2001:db8::1]"},
		{"http://intranet.example", ""},
		{"https://*.example", ""},
		{"*", ""},
		{"'self'", ""},
		{"https://a.example/path", ""},
		{"https://a.example?x=1", ""},
		{"https://a.example#f", ""},
		{"https://user@a.example", ""},
		{"https://a.example; script-src *", ""},
		{"https://a.example https://b.example", ""},
		{"https://-bad-.example", ""},
		{"https://a..example", ""},
		{"javascript:alert(1)", ""},
		{"data:text/html,x", ""},
		{"a.example", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, err := NormalizeOrigin(tc.in)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalidOrigin) {
				t.Errorf("%q: got %q, %v; want ErrInvalidOrigin", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzNormalizeOrigin: whatever is accepted is a plain origin that a CSP
// header can carry, and normalising is idempotent.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://a.example", "https://a.example:8443/", "http://localhost", "https://[::1]:1",
		"https://*.x", "https://a b", "https://a.example;x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeOrigin(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, " ;,'\"*\r\n\t") || !strings.HasPrefix(got, "https://") && !strings.HasPrefix(got, "http://") {
			t.Fatalf("%q accepted as %q", s, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Path != "" || u.RawQuery != "" || u.User != nil {
			t.Fatalf("%q accepted as %q, not an origin", s, got)
		}
		if again, err := NormalizeOrigin(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}

// TestSettingsStore: defaults on a fresh database (ad-hoc rooms open to
// anyone), a round trip with normalised origins, validation, and the audit.
func TestSettingsStore(t *testing.T) {
	s, _ := openTestStore(t, storeOptions{})
	ctx := t.Context()
	st, err := s.Settings(ctx)
	if err != nil || st.AdHoc != AdHocAnyone || st.DefaultAccess != AccessPublic || st.DisplayName() != "Conclave" {
		t.Fatalf("defaults: got %+v, %v", st, err)
	}
	in := Settings{InstanceName: "Hilltop School", AdHoc: AdHocSignedIn, DefaultAccess: AccessMembers, DefaultLobby: true,
		EmbedOrigins: []string{"https://LMS.example/", "https://lms.example"}}
	if _, err := s.UpdateSettings(ctx, ActorCLI, in); err != nil {
		t.Fatal(err)
	}
	st, err = s.Settings(ctx)
	if err != nil || st.InstanceName != "Hilltop School" || st.AdHoc != AdHocSignedIn || !st.DefaultLobby ||
		!slices.Equal(st.EmbedOrigins, []string{"https://lms.example"}) {
		t.Errorf("round trip: got %+v, %v", st, err)
	}
	for _, bad := range []Settings{{AdHoc: "everyone"}, {DefaultAccess: "open"}, {EmbedOrigins: []string{"https://*.x"}},
		{InstanceName: "bad\x00name"}} {
		if _, err := s.UpdateSettings(ctx, ActorCLI, bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
	p, err := s.ListAudit(ctx, 0, 1)
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Action != "settings.update" {
		t.Errorf("audit: got %+v, %v", p, err)
	}
}

// TestSettingsPage: the form saves, reports a bad origin without losing
// the input, and the TURN rotation button rotates and tells the appliance.
func TestSettingsPage(t *testing.T) {
	rotated := 0
	e := newLoginEnvConfig(t, Config{TURNSecretRotated: func() { rotated++ }})
	e.addUser("ann", RoleAdmin)
	c := e.browser()
	e.login(c, "ann", "ann password")
	form := url.Values{"instance_name": {"Hilltop"}, "ad_hoc": {"admins"}, "default_access": {"public"},
		"default_e2ee_required": {"on"}, "embed_origins": {"https://lms.example\r\nhttps://evil.example/*"}}
	if r := e.do(c, "POST", "/admin/settings", form); r.status != 422 || !strings.Contains(r.body, "evil.example/*") {
		t.Errorf("bad origin: got %d:\n%s", r.status, r.body)
	}
	form.Set("embed_origins", "https://lms.example\r\n")
	if r := e.do(c, "POST", "/admin/settings", form); r.status != 303 {
		t.Errorf("save: got %d", r.status)
	}
	if r := e.do(c, "GET", "/admin/settings?done=settings-saved", nil); !strings.Contains(r.body, "Settings saved.") ||
		!strings.Contains(r.body, "Hilltop") || !strings.Contains(r.body, `value="admins" checked`) {
		t.Errorf("saved settings page:\n%s", r.body)
	}
	before, _ := e.store.EnsureSecret(t.Context(), SecretTURN)
	if r := e.do(c, "POST", "/admin/settings/turn-secret", url.Values{}); r.status != 303 || rotated != 1 {
		t.Errorf("rotate: got %d, callback %d times", r.status, rotated)
	}
	v, err := e.store.Secrets(t.Context(), SecretTURN)
	if err != nil || slices.Equal(v.Current, before) || !slices.Equal(v.Previous, before) {
		t.Errorf("secret not rotated: %v", err)
	}
	if got, err := e.admin.EmbedOrigins(t.Context()); err != nil || !slices.Equal(got, []string{"https://lms.example"}) {
		t.Errorf("EmbedOrigins: got %q, %v", got, err)
	}
}
