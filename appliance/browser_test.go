package appliance_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// screenshotPath is where a test saves a PNG for a person to look at:
// $CONCLAVE_SCREENSHOTS when set, else the test's temporary directory.
func screenshotPath(t *testing.T, name string) string {
	dir := os.Getenv("CONCLAVE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return filepath.Join(dir, name)
}

// TestBrowserLandingAndSetupOverBuiltInCA loads the pages a newcomer sees
// first, in real Chromium, over HTTPS from the real appliance, with the
// built-in CA's root installed in the browser's certificate store.
func TestBrowserLandingAndSetupOverBuiltInCA(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	// The browser trusts the built-in root itself, as a person who
	// downloaded /ca.crt and installed it: nothing is pinned.
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustRootPEM: a.RootPEM()})

	p := b.NewPage(t)
	p.Navigate(a.URL + "/")
	if got := testenv.Eval[string](p, "document.title"); got != "Conclave" {
		t.Fatalf("landing title: got %q, want Conclave", got)
	}
	if !testenv.Eval[bool](p, "window.isSecureContext") {
		t.Error("landing page is not a secure context (camera and microphone would be unavailable)")
	}
	p.Screenshot(screenshotPath(t, "appliance-landing.png"))
	if v := p.CSPViolations(); len(v) != 0 {
		t.Errorf("landing: CSP violations %q", v)
	}
	if e := p.ConsoleErrors(); len(e) != 0 {
		t.Errorf("landing: console errors %q", e)
	}

	// Control: a browser without the root refuses the same page.
	untrusting := testenv.NewBrowser(t, testenv.BrowserOptions{}).NewPage(t)
	ctx, cancel := context.WithTimeout(untrusting.Context(), 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/")); err == nil || !strings.Contains(err.Error(), "CERT") {
		t.Errorf("a browser without the built-in root: got %v, want a certificate error", err)
	}

	setup := b.NewPage(t)
	setup.Navigate(a.URL + "/admin/setup?token=" + url.QueryEscape(a.SetupToken()))
	text := testenv.Eval[string](setup, "document.body.innerText")
	if !strings.Contains(strings.ToLower(text), "admin") {
		t.Errorf("setup page text lacks 'admin': %q", text)
	}
	setup.Screenshot(screenshotPath(t, "appliance-admin-setup.png"))
	if v := setup.CSPViolations(); len(v) != 0 {
		t.Errorf("setup: CSP violations %q", v)
	}
}

// meetingBrowser starts Chromium for meeting tests with the built-in root
// installed, and keeps background tabs rendering and decoding, as several
// people's browsers would.
func meetingBrowser(t *testing.T, a *testenv.Appliance) *testenv.Browser {
	t.Helper()
	return testenv.NewBrowser(t, testenv.BrowserOptions{
		TrustRootPEM: a.RootPEM(),
		Timeout:      45 * time.Second,
		ExtraFlags: []string{"disable-background-timer-throttling", "disable-renderer-backgrounding",
			"disable-backgrounding-occluded-windows"},
	})
}
