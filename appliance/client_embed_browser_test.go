package appliance_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/admin"
	"conclave/internal/testenv"
)

// classEmbedSite serves docs/embed-example.html, the documented embedding
// page, as another site on loopback would.
func classEmbedSite(t *testing.T) *httptest.Server {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("..", "docs", "embed-example.html"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// classAllowEmbedding puts origins on the admin's embedding allow-list.
func classAllowEmbedding(t *testing.T, a *testenv.Appliance, origins ...string) {
	t.Helper()
	store, err := admin.OpenStore(t.Context(), filepath.Join(a.Config.DataDir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st, err := store.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.EmbedOrigins = origins
	if _, err := store.UpdateSettings(t.Context(), admin.ActorCLI, st); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserEmbedding: the documented example page, on an allowed
// loopback origin, embeds a meeting, joins it through the postMessage API,
// mutes, raises a hand and leaves, and hears each as an event; the same
// page on an origin that is not allowed cannot frame the meeting at all.
func TestBrowserEmbedding(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	allowed, other := classEmbedSite(t), classEmbedSite(t)
	classAllowEmbedding(t, a, allowed.URL)
	key := randomKey(t)
	b := meetingBrowser(t, a)
	host := peerPage{"host", b.NewPage(t)}
	host.p.Navigate(a.URL + "/r/embedded?name=Host&autojoin=1&lang=en#k=" + key)
	host.p.WaitFor(`window.conclave.state() === "joined"`)

	meeting := url.QueryEscape(a.URL + "/r/embedded?lang=en#k=" + key)
	lms := peerPage{"lms", b.NewPage(t)}
	lms.p.Navigate(allowed.URL + "/?meeting=" + meeting)
	events := func(kind string) string {
		return `window.conclaveEvents.filter((e) => e.event === "` + kind + `")`
	}
	lms.p.WaitFor(events("ready") + `.length === 1`)
	classClick(lms, "#join button")
	lms.p.WaitFor(events("joined") + `.length === 1`)
	self := testenv.Eval[string](lms.p, events("joined")+`[0].participantId`)
	lms.p.WaitFor(events("participants") + `.some((e) => e.participants.length === 2 && e.participants[0].self && e.participants[0].name === "Ada")`)
	host.p.WaitFor(`window.conclave.participants().some((p) => p.name === "Ada")`)

	classClick(lms, "#mute")
	lms.p.WaitFor(events("participants") + `.at(-1).participants[0].muted === true`)
	host.p.WaitFor(`document.querySelector('#grid .tile[data-participant-id="` + self + `"]')?.classList.contains("mic-off")`)
	classClick(lms, "#hand")
	lms.p.WaitFor(events("hands") + `.at(-1)?.hands[0] === "` + self + `"`)
	host.p.WaitFor(`window.conclave.room().hands[0] === "` + self + `"`)
	lms.p.Screenshot(screenshotPath(t, "embed-1280.png"))
	classClick(lms, "#leave")
	lms.p.WaitFor(events("left") + `.at(-1)?.reason === "left"`)
	host.p.WaitFor(`window.conclave.participants().length === 1`)
	t.Logf("the embedding page heard %d events", testenv.Eval[int](lms.p, `window.conclaveEvents.length`))

	// Another origin: the browser refuses to show the meeting in its frame.
	stranger := b.NewPage(t)
	stranger.Navigate(other.URL + "/?meeting=" + meeting)
	time.Sleep(4 * time.Second)
	if n := testenv.Eval[int](stranger, `window.conclaveEvents.length`); n != 0 {
		t.Errorf("a site not on the allow-list framed the meeting: %d events", n)
	}
	if !strings.HasPrefix(allowed.URL, "http://127.0.0.1:") || allowed.URL == other.URL {
		t.Fatalf("the two sites must be distinct loopback origins: %s, %s", allowed.URL, other.URL)
	}
	checkPageClean(t, host)
	checkPageClean(t, lms)
}
