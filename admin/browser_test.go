package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"

	"conclave/admin"
	"conclave/internal/testenv"
)

// fakeMeetings is a Meetings whose list a test sets, recording actions.
type fakeMeetings struct {
	mu      sync.Mutex
	list    []admin.Meeting
	actions []string
}

func (f *fakeMeetings) set(ms []admin.Meeting) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = ms
}

func (f *fakeMeetings) List(context.Context) []admin.Meeting {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]admin.Meeting(nil), f.list...)
}

func (f *fakeMeetings) record(a string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
	return nil
}

func (f *fakeMeetings) End(_ context.Context, room string) error { return f.record("end " + room) }
func (f *fakeMeetings) Remove(_ context.Context, room, id string) error {
	return f.record("remove " + room + " " + id)
}
func (f *fakeMeetings) Mute(_ context.Context, room, id string) error {
	return f.record("mute " + room + " " + id)
}
func (f *fakeMeetings) Admit(_ context.Context, room, id string) error {
	return f.record("admit " + room + " " + id)
}
func (f *fakeMeetings) Deny(_ context.Context, room, id string) error {
	return f.record("deny " + room + " " + id)
}

func (f *fakeMeetings) done() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.actions...)
}

// sampleMeetings is a class in progress: a teacher, pupils, one on TURN.
func sampleMeetings(now time.Time) []admin.Meeting {
	p := func(id, name, role string, ago time.Duration, turn bool, in, out int64) admin.MeetingParticipant {
		return admin.MeetingParticipant{ID: id, Name: name, Role: role, Joined: now.Add(-ago), TURN: turn,
			BitrateIn: in, BitrateOut: out}
	}
	return []admin.Meeting{
		{Room: "maths-7b", Started: now.Add(-42 * time.Minute), Participants: []admin.MeetingParticipant{
			p("p_teacher", "Ms Noether", "moderator", 42*time.Minute, false, 1_800_000, 4_200_000),
			p("p_ada", "Ada", "member", 40*time.Minute, true, 650_000, 3_100_000),
			p("p_alan", "Alan", "guest", 12*time.Minute, false, 420_000, 2_900_000),
		}},
	}
}

// adminServer serves the admin at /admin over TLS on 127.0.0.1, wrapped as
// the appliance wraps it.
func adminServer(t *testing.T, cfg admin.Config) (*httptest.Server, *admin.Store) {
	t.Helper()
	store, err := admin.OpenStore(t.Context(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := admin.New(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/admin", a.Handler())
	srv := httptest.NewUnstartedServer(http.NewCrossOriginProtection().Handler(r))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(a.Close) // before srv.Close: ends the event streams
	return srv, store
}

// shotDir is CONCLAVE_SCREENSHOTS, else a temporary directory.
func shotDir(t *testing.T) string {
	if d := os.Getenv("CONCLAVE_SCREENSHOTS"); d != "" {
		return d
	}
	return t.TempDir()
}

// TestBrowserAdminPages signs in with a real browser, opens every admin
// page at desktop and phone widths, makes a meeting link, watches the live
// dashboard change and removes a participant from it. No page may break
// the CSP or log an error.
func TestBrowserAdminPages(t *testing.T) {
	meetings := &fakeMeetings{}
	meetings.set(sampleMeetings(time.Now()))
	health := func() admin.Health {
		return admin.Health{Version: "v0.6.0", Uptime: 3*time.Hour + 25*time.Minute, CPUSeconds: 812.4,
			RSSBytes: 96 << 20, Goroutines: 143, TLSMode: "internal CA", CertExpiry: time.Now().Add(61 * 24 * time.Hour),
			CAFingerprint: "3F:A1:7C:0E:9B:55:D2:14:8A:6F:C3:1B:2E:90:47:DD:5A:0C:E8:71:B4:29:63:F0:1D:8E:C7:52:A9:3B:06:4E"}
	}
	srv, store := adminServer(t, admin.Config{Meetings: meetings, Health: health, EventInterval: 200 * time.Millisecond})
	seed(t, store)
	dir := shotDir(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	base := srv.URL + "/admin"

	p.Navigate(base + "/login")
	p.Screenshot(filepath.Join(dir, "admin-login.png"))
	p.Do(chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), "root password 1"))
	submitLater(p, "#password")
	p.WaitFor(`document.querySelector('#live-status.on') !== null`)

	pages := []struct{ name, path string }{
		{"dashboard", "/"}, {"rooms", "/rooms"}, {"room-new", "/rooms/new"}, {"room", "/rooms/maths-7b"},
		{"users", "/users"}, {"user", "/users/noether"}, {"settings", "/settings"}, {"audit", "/audit"},
		{"tokens", "/tokens"},
	}
	for _, width := range []int64{1280, 390} {
		if width < 640 {
			p.Do(chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile))
		} else {
			p.Do(chromedp.EmulateViewport(width, 844))
		}
		for _, pg := range pages {
			p.Navigate(base + pg.path)
			p.Screenshot(filepath.Join(dir, fmt.Sprintf("admin-%s-%d.png", pg.name, width)))
			if w := testenv.Eval[int](p, `document.documentElement.scrollWidth`); w > int(width) {
				t.Errorf("%s at %d px: page is %d px wide (horizontal scrolling)", pg.name, width, w)
			}
		}
	}
	p.Do(chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 844))

	// The meeting link is made in the browser and kept for the room.
	p.Navigate(base + "/rooms/maths-7b")
	p.Do(chromedp.Click(chromedp.CSS("#link-new")))
	link := testenv.Eval[string](p, `document.getElementById('link-output').value`)
	host := strings.TrimPrefix(srv.URL, "https://")
	if !regexp.MustCompile(`^https://` + regexp.QuoteMeta(host) + `/r/maths-7b#k=[A-Za-z0-9_-]{43}$`).MatchString(link) {
		t.Errorf("meeting link %q, want https://HOST/r/maths-7b#k=<43 base64url>", link)
	}
	p.Navigate(base + "/rooms/maths-7b")
	if again := testenv.Eval[string](p, `document.getElementById('link-output').value`); again != link {
		t.Errorf("after reload the link is %q, want the stored %q", again, link)
	}
	if !testenv.Eval[bool](p, `!document.getElementById('link-warning').hidden && document.getElementById('link-mail').href.startsWith('mailto:')`) {
		t.Error("with a stored link, the replacement warning and the mailto: link must show")
	}
	p.Screenshot(filepath.Join(dir, "admin-room-link-1280.png"))

	// The dashboard follows the SFU live, and its buttons act.
	p.Navigate(base + "/")
	ms := sampleMeetings(time.Now())
	ms = append(ms, admin.Meeting{Room: "physics-9a", Started: time.Now().Add(-3 * time.Minute),
		Participants: []admin.MeetingParticipant{{ID: "p_marie", Name: "Marie", Role: "guest", Joined: time.Now(), BitrateIn: 900_000}}})
	meetings.set(ms)
	p.WaitFor(`document.querySelectorAll('#meetings article').length === 2`)
	p.Screenshot(filepath.Join(dir, "admin-dashboard-live-1280.png"))
	testenv.Eval[bool](p, `(window.confirm = () => true, true)`)
	submitLater(p, `article[data-room="physics-9a"] form[action$="/p_marie/remove"] button`)
	p.WaitFor(`document.querySelector('.flash') !== null`)
	if got := meetings.done(); len(got) != 1 || got[0] != "remove physics-9a p_marie" {
		t.Errorf("dashboard actions: got %q, want one removal of p_marie", got)
	}

	// A roster and an invite, the pages that show secrets once.
	p.Navigate(base + "/users")
	p.Do(chromedp.SetValue(chromedp.CSS("#roster"), "name,username,role\nGrace Hopper,grace@school.example,member\nBad Line\nAlan Turing,alan,moderator\nAda Again,ada,member"))
	submitLater(p, "#roster")
	p.WaitFor(`document.querySelector('h1')?.textContent === 'Roster'`)
	p.Screenshot(filepath.Join(dir, "admin-bulk-1280.png"))
	token, err := store.CreateInvite(t.Context(), admin.ActorCLI, "noether", 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Navigate(base + "/invite/" + token)
	p.Screenshot(filepath.Join(dir, "admin-invite-1280.png"))

	if v := p.CSPViolations(); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
	if errs := p.ConsoleErrors(); len(errs) != 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// submitLater submits the form of the element sel through its submit event
// (so that data-confirm runs) and waits for the page it leads to. The
// submission is queued so that the evaluation returns before navigating.
func submitLater(p *testenv.Page, sel string) {
	js := `(setTimeout(() => document.querySelector(` + "`" + sel + "`" + `).form.requestSubmit(), 0), true)`
	testenv.Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[bool](js)))
}

// seed fills the store as a school would have it after a week.
func seed(t *testing.T, s *admin.Store) {
	t.Helper()
	ctx := t.Context()
	users := []admin.NewUser{
		{Username: "root", Name: "IT office", Password: "root password 1", Role: admin.RoleAdmin},
		{Username: "noether", Name: "Emmy Noether", Password: "noether password", Role: admin.RoleModerator},
		{Username: "curie", Name: "Marie Curie", Password: "curie password", Role: admin.RoleModerator},
		{Username: "ada", Name: "Ada Lovelace", Password: "ada password 1", Role: admin.RoleMember},
	}
	for _, u := range users {
		u.Actor = admin.ActorCLI
		if _, err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	no, _ := s.UserByUsername(ctx, "noether")
	yes := true
	rooms := []admin.NewRoom{
		{Slug: "maths-7b", Name: "Maths 7B", Access: admin.AccessPassword, Password: "pythagoras 7b", Lobby: true, MaxParticipants: 30, CreatedBy: no.ID},
		{Slug: "physics-9a", Name: "Physics 9A", Access: admin.AccessMembers, E2EERequired: &yes},
		{Slug: "staff-room", Name: "Staff room", Access: admin.AccessMembers, Lobby: true},
		{Slug: "open-day", Name: "Open day Q&A", MaxParticipants: 200},
	}
	for _, r := range rooms {
		if _, err := s.CreateRoom(ctx, admin.ActorCLI, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRoomModerators(ctx, admin.ActorCLI, "physics-9a", []int64{no.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIToken(ctx, admin.ActorCLI, "timetable sync", 0); err != nil {
		t.Fatal(err)
	}
}
