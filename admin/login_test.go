package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSessionCookieFlags is W5: the cookie is host-only, Secure, HttpOnly and
// SameSite=Strict, and the signed-in page names the user.
func TestSessionCookieFlags(t *testing.T) {
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	c := e.browser()
	resp := e.login(c, "alice", pw)
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/admin/" {
		t.Fatalf("login: got %d to %q, want 303 to /admin/", resp.status, resp.header.Get("Location"))
	}
	raw := resp.header.Values("Set-Cookie")
	if len(raw) != 1 {
		t.Fatalf("Set-Cookie: got %q, want one", raw)
	}
	ck, err := http.ParseSetCookie(raw[0])
	if err != nil {
		t.Fatal(err)
	}
	if ck.Name != sessionCookie || ck.Path != "/" || !ck.Secure || !ck.HttpOnly ||
		ck.SameSite != http.SameSiteStrictMode || ck.Domain != "" || strings.Contains(strings.ToLower(raw[0]), "domain=") {
		t.Errorf("cookie %q lacks a required flag", raw[0])
	}
	if len(ck.Value) != sessionIDLen {
		t.Errorf("session ID length: got %d, want %d", len(ck.Value), sessionIDLen)
	}
	page := e.do(c, "GET", "/admin/", nil)
	if page.status != 200 || !strings.Contains(page.body, `alice <span class="badge">admin</span>`) {
		t.Errorf("index: got %d:\n%s", page.status, page.body)
	}
	var n int
	if err := e.store.rdb.QueryRow(`SELECT count(*) FROM sessions WHERE id_hash = ?`, []byte(ck.Value)).Scan(&n); err != nil || n != 0 {
		t.Errorf("raw session ID found in the database (%d rows, %v)", n, err)
	}
}

// TestSessionRotationAndLogout checks that every login gets a new ID, that the
// replaced one dies, and that logout deletes the row.
func TestSessionRotationAndLogout(t *testing.T) {
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	c := e.browser()
	e.login(c, "alice", pw)
	first := e.sessionID(c)
	e.login(c, "alice", pw)
	second := e.sessionID(c)
	if first == "" || first == second {
		t.Fatalf("session ID not rotated: %q then %q", first, second)
	}
	if r := e.do(e.withCookie(first), "GET", "/admin/", nil); r.status != http.StatusSeeOther {
		t.Errorf("replaced session: got %d, want 303", r.status)
	}
	if r := e.do(c, "POST", "/admin/logout", nil); r.status != http.StatusSeeOther {
		t.Errorf("logout: got %d, want 303", r.status)
	}
	old := e.withCookie(second)
	if r := e.do(old, "GET", "/admin/", nil); r.status != http.StatusSeeOther ||
		r.header.Get("Location") != "/admin/login?next=%2Fadmin%2F" {
		t.Errorf("after logout GET: got %d to %q", r.status, r.header.Get("Location"))
	}
	if r := e.do(old, "POST", "/admin/logout", nil); r.status != http.StatusUnauthorized {
		t.Errorf("after logout POST: got %d, want 401", r.status)
	}
	var n int
	if err := e.store.rdb.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions after logout: %d (%v), want 0", n, err)
	}
}

// TestSessionTimeouts drives the fake clock through the idle and absolute limits.
func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // advance, then GET /admin/
		want  []int
	}{
		{"active within idle", []time.Duration{29 * time.Minute}, []int{200}},
		{"idle", []time.Duration{31 * time.Minute}, []int{303}},
		{"sliding", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, []int{200, 200, 200}},
		{"idle after sliding", []time.Duration{25 * time.Minute, 30 * time.Minute}, []int{200, 303}},
		// 24×29 min + 23 min is 11 h 59 min; two more minutes pass 12 h.
		{"absolute", append(repeat(24, 29*time.Minute), 23*time.Minute, 2*time.Minute),
			append(repeat(24, 200), 200, 303)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoginEnv(t)
			pw := e.addUser("alice", RoleAdmin)
			c := e.browser()
			e.login(c, "alice", pw)
			for i, d := range tc.steps {
				e.clock.Advance(d)
				if r := e.do(c, "GET", "/admin/", nil); r.status != tc.want[i] {
					t.Fatalf("step %d (+%s): got %d, want %d", i, d, r.status, tc.want[i])
				}
			}
		})
	}
}

func repeat[T any](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestRoleGate checks that only admins and moderators see the panel, and that
// signed-out requests are redirected (GET) or refused (other methods).
func TestRoleGate(t *testing.T) {
	e := newLoginEnv(t)
	tests := []struct {
		user, role string
		want       int
	}{
		{"ann", RoleAdmin, 200},
		{"mo", RoleModerator, 200},
		{"mem", RoleMember, 403},
	}
	// Members may sign in (for members-only rooms) but see nothing of the admin.
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			pw := e.addUser(tc.user, tc.role)
			c := e.browser()
			if r := e.login(c, tc.user, pw); r.status != http.StatusSeeOther {
				t.Fatalf("login: got %d", r.status)
			}
			if r := e.do(c, "GET", "/admin/rooms", nil); r.status != tc.want {
				t.Errorf("GET /admin/rooms: got %d, want %d", r.status, tc.want)
			}
		})
	}
	anon := e.browser()
	if r := e.do(anon, "GET", "/admin/nope?x=1", nil); r.status != 303 ||
		r.header.Get("Location") != "/admin/login?next=%2Fadmin%2Fnope%3Fx%3D1" {
		t.Errorf("signed-out GET: got %d to %q", r.status, r.header.Get("Location"))
	}
	if r := e.do(anon, "POST", "/admin/logout", nil); r.status != 401 {
		t.Errorf("signed-out POST: got %d, want 401", r.status)
	}
}

// TestSessionEndsWhenDisabled checks that disabling an account ends its
// sessions at the next request, and that a signed-in browser skips the form.
func TestSessionEndsWhenDisabled(t *testing.T) {
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	c := e.browser()
	e.login(c, "alice", pw)
	if r := e.do(c, "GET", "/admin/login?next=/admin/x", nil); r.status != 303 || r.header.Get("Location") != "/admin/x" {
		t.Errorf("login page while signed in: got %d to %q", r.status, r.header.Get("Location"))
	}
	if _, err := e.store.wdb.ExecContext(t.Context(), `UPDATE users SET disabled = 1 WHERE username = 'alice'`); err != nil {
		t.Fatal(err)
	}
	if r := e.do(c, "GET", "/admin/", nil); r.status != 303 {
		t.Errorf("disabled user's session: got %d, want 303 to the login page", r.status)
	}
	var n int
	if err := e.store.rdb.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions of a disabled user: %d (%v), want 0", n, err)
	}
}
