package appliance_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// submitAndWait submits the form of the element sel (through its submit
// event, so the page's own handlers run) and waits for the next page.
func submitAndWait(p *testenv.Page, sel string) {
	js := `(setTimeout(() => document.querySelector(` + jsQuote(sel) + `).form.requestSubmit(), 0), true)`
	testenv.Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[bool](js)))
}

// TestBrowserAdminRunsAMeeting is the school IT person's first day, in a
// real browser against the real appliance: first-run setup, sign in, create
// a teacher (moderator) and a room with that teacher, make the meeting link
// in the browser, a pupil opens it and joins, the live dashboard shows the
// meeting, and removing the pupil from the dashboard ends the pupil's
// meeting.
func TestBrowserAdminRunsAMeeting(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	adm := b.NewPage(t)

	adm.Navigate(a.URL + "/admin/setup?token=" + url.QueryEscape(a.SetupToken()))
	adm.Do(chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), "root password 1"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "root password 1"))
	submitAndWait(adm, "#confirm")
	if h := testenv.Eval[string](adm, `document.querySelector("h1").textContent`); h != "Setup complete" {
		t.Fatalf("after setup: %q", h)
	}
	adm.Navigate(a.URL + "/admin/login")
	adm.Do(chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), "root password 1"))
	submitAndWait(adm, "#password")
	adm.Screenshot(screenshotPath(t, "flow-dashboard-empty.png"))

	adm.Navigate(a.URL + "/admin/users")
	adm.Do(chromedp.SendKeys(chromedp.CSS("#username"), "noether"),
		chromedp.SendKeys(chromedp.CSS("#uname"), "Emmy Noether"),
		chromedp.SetValue(chromedp.CSS("#role"), "moderator"),
		chromedp.SendKeys(chromedp.CSS("#newpw"), "noether password"))
	submitAndWait(adm, "#newpw")
	adm.Navigate(a.URL + "/admin/users")
	if !strings.Contains(testenv.Eval[string](adm, "document.body.innerText"), "Emmy Noether") {
		t.Fatal("the users page does not list the new teacher")
	}
	adm.Screenshot(screenshotPath(t, "flow-users.png"))

	adm.Navigate(a.URL + "/admin/rooms/new")
	adm.Do(chromedp.SendKeys(chromedp.CSS("#slug"), "maths-7b"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Maths 7B"))
	testenv.Eval[bool](adm, `(document.querySelector('input[name="moderators"]').checked = true, true)`)
	submitAndWait(adm, "#slug")
	adm.Navigate(a.URL + "/admin/rooms/maths-7b")
	adm.Do(chromedp.Click(chromedp.CSS("#link-new")))
	link := testenv.Eval[string](adm, `document.getElementById("link-output").value`)
	if !strings.Contains(link, "/r/maths-7b#k=") {
		t.Fatalf("meeting link %q", link)
	}
	adm.Screenshot(screenshotPath(t, "flow-room-link.png"))

	// The pupil is on another computer: a browser of its own, without the
	// admin's session cookie (with it, the pupil would join as a moderator).
	pupil := meetingBrowser(t, a).NewPage(t)
	base, key, _ := strings.Cut(link, "#")
	pupil.Navigate(base + "?name=Pupil&autojoin=1#" + key)
	pupil.WaitFor(`window.conclave.state() === "joined"`)

	adm.Navigate(a.URL + "/admin/")
	adm.WaitFor(`document.querySelector('article[data-room="maths-7b"]')?.innerText.includes("Pupil")`)
	if row := testenv.Eval[string](adm, `document.querySelector('article[data-room="maths-7b"] tbody tr').innerText`); !strings.Contains(row, "guest") {
		t.Errorf("the dashboard shows the pupil as %q, want a guest", row)
	}
	adm.Screenshot(screenshotPath(t, "flow-dashboard-live.png"))
	testenv.Eval[bool](adm, `(window.confirm = () => true, true)`)
	submitAndWait(adm, `article[data-room="maths-7b"] form[action$="/remove"] button`)

	pupil.WaitFor(`!document.getElementById("ended").hidden`)
	if text := testenv.Eval[string](pupil, `document.getElementById("ended-text").textContent`); !strings.Contains(text, "removed") {
		t.Errorf("the pupil's page after removal says %q, want that a moderator removed them", text)
	}
	pupil.Screenshot(screenshotPath(t, "flow-pupil-removed.png"))
	adm.WaitFor(`document.querySelector('article[data-room="maths-7b"]') === null`)
	for _, p := range []peerPage{{"admin", adm}, {"pupil", pupil}} {
		checkPageClean(t, p)
	}
}
