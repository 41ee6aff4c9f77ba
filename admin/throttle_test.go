package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLoginThrottleAccount is W3: 20 quick wrong passwords lock the account
// after the fifth, the right password during the lockout still gets 429, and
// the lock lifts and then grows.
func TestLoginThrottleAccount(t *testing.T) {
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	c := e.browser()
	for i := 1; i <= 20; i++ {
		want := http.StatusUnauthorized
		if i > accountFailureLimit {
			want = http.StatusTooManyRequests
		}
		r := e.login(c, "alice", "wrong password")
		if r.status != want {
			t.Fatalf("attempt %d: got %d, want %d", i, r.status, want)
		}
		if want == 429 && r.header.Get("Retry-After") == "" {
			t.Errorf("attempt %d: 429 without Retry-After", i)
		}
	}
	if r := e.login(c, "ALICE", pw); r.status != http.StatusTooManyRequests {
		t.Errorf("right password during lockout: got %d, want 429", r.status)
	}
	e.clock.Advance(lockoutBase + time.Second)
	if r := e.login(c, "alice", "wrong password"); r.status != http.StatusUnauthorized {
		t.Errorf("after lockout: got %d, want 401", r.status)
	}
	e.clock.Advance(lockoutBase + time.Second) // the second lock lasts twice as long
	if r := e.login(c, "alice", pw); r.status != http.StatusTooManyRequests {
		t.Errorf("during doubled lockout: got %d, want 429", r.status)
	}
	e.clock.Advance(lockoutBase)
	if r := e.login(c, "alice", pw); r.status != http.StatusSeeOther {
		t.Errorf("after doubled lockout: got %d, want 303", r.status)
	}
}

// TestLoginThrottleIP checks the per-address limit: failures spread over many
// accounts, none of them locked, still lock the address.
func TestLoginThrottleIP(t *testing.T) {
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	c := e.browser()
	for i := range ipFailureLimit {
		user := "user" + string(rune('a'+i/(accountFailureLimit-1)))
		if r := e.login(c, user, "wrong password"); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d (%s): got %d, want 401", i, user, r.status)
		}
	}
	if r := e.login(c, "alice", pw); r.status != http.StatusTooManyRequests {
		t.Errorf("right password from a locked address: got %d, want 429", r.status)
	}
}

// TestLoginSameAnswer checks that an unknown user, a wrong password and a
// disabled account get the same status and body, locked or not.
func TestLoginSameAnswer(t *testing.T) {
	e := newLoginEnv(t)
	e.addUser("alice", RoleAdmin)
	mpw := e.addUser("mallory", RoleAdmin)
	if _, err := e.store.wdb.ExecContext(t.Context(), `UPDATE users SET disabled = 1 WHERE username = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	for round := range accountFailureLimit + 1 {
		wrong := e.login(c, "alice", "wrong password")
		unknown := e.login(c, "ghost", "wrong password")
		disabled := e.login(c, "mallory", mpw)
		for _, r := range []response{unknown, disabled} {
			if r.status != wrong.status || r.body != wrong.body {
				t.Fatalf("round %d: got %d, want %d and the same body as a wrong password:\n%s\n---\n%s",
					round, r.status, wrong.status, r.body, wrong.body)
			}
		}
		if round == 0 && (wrong.status != 401 || !strings.Contains(wrong.body, msgBadLogin)) {
			t.Errorf("first failure: got %d:\n%s", wrong.status, wrong.body)
		}
		if round == accountFailureLimit && wrong.status != 429 {
			t.Errorf("after %d failures: got %d, want 429", round, wrong.status)
		}
	}
	if id := e.sessionID(c); id != "" {
		t.Errorf("failed sign-ins left a session cookie")
	}
}

// TestLoginNext checks that next= only ever leads inside the admin panel.
func TestLoginNext(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/admin/users?page=2", "/admin/users?page=2"},
		{"/admin", "/admin"},
		{"", "/admin/"},
		{"//evil.example/admin/", "/admin/"},
		{"https://evil.example/admin/", "/admin/"},
		{"/\\evil.example", "/admin/"},
		{"/admin/\\..\\..\\x", "/admin/"},
		{"/admin/../x", "/admin/"},
		{"/admin/%2e%2e/x", "/admin/"},
		{"/admin/..", "/admin/"},
		{"/adminx", "/admin/"},
		{"/admin/login", "/admin/"},
		{"javascript:alert(1)", "/admin/"},
		{"/admin/\r\nSet-Cookie: x", "/admin/"},
		{"https:/admin/", "/admin/"},
	}
	e := newLoginEnv(t)
	pw := e.addUser("alice", RoleAdmin)
	for _, tc := range tests {
		t.Run(tc.next, func(t *testing.T) {
			if got := localNext(tc.next); got != tc.want {
				t.Errorf("localNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
			r := e.do(e.browser(), "POST", "/admin/login",
				url.Values{"username": {"alice"}, "password": {pw}, "next": {tc.next}})
			if r.status != 303 || r.header.Get("Location") != tc.want {
				t.Errorf("login redirect: got %d to %q, want %q", r.status, r.header.Get("Location"), tc.want)
			}
		})
	}
}

// FuzzLocalNext checks that no next= value leads outside the admin panel.
func FuzzLocalNext(f *testing.F) {
	for _, s := range []string{"/admin/x?y=z", "//evil", "/\\evil", "https://evil/admin", "/admin/../x",
		"/admin/%2e%2e/", "\x00", "/admin/\t/x", "/admin/;x", "/admin/#frag", "/admin/%0d%0a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") ||
			(got != basePath && !strings.HasPrefix(got, basePath+"/")) || strings.ContainsAny(got, "\\\r\n\t\x00") {
			t.Fatalf("localNext(%q) = %q: leaves the admin panel", next, got)
		}
		if again := localNext(got); again != got {
			t.Fatalf("localNext not stable: %q -> %q -> %q", next, got, again)
		}
	})
}
