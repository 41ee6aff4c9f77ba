package appliance_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
// first, in real Chromium, over HTTPS from the real appliance. The browser
// accepts only the leaf that the test has verified against the built-in
// root (testenv.LeafSPKI), so a wrong chain fails the test.
func TestBrowserLandingAndSetupOverBuiltInCA(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	host := strings.TrimPrefix(a.URL, "https://")
	spki := testenv.LeafSPKI(t, host, "", a.RootPEM())
	spkiLocalhost := testenv.LeafSPKI(t, host, "localhost", a.RootPEM())
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{spki, spkiLocalhost}})

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

// meetingBrowser starts Chromium for meeting tests: it trusts the
// appliance's leaf for its IP address and for each of serverNames (checked
// against the built-in root first), and keeps background tabs rendering and
// decoding, as several people's browsers would.
func meetingBrowser(t *testing.T, a *testenv.Appliance, serverNames ...string) *testenv.Browser {
	t.Helper()
	host := strings.TrimPrefix(a.URL, "https://")
	spkis := []string{testenv.LeafSPKI(t, host, "", a.RootPEM())}
	for _, name := range serverNames {
		spkis = append(spkis, testenv.LeafSPKI(t, host, name, a.RootPEM()))
	}
	return testenv.NewBrowser(t, testenv.BrowserOptions{
		TrustSPKIs: spkis,
		Timeout:    45 * time.Second,
		ExtraFlags: []string{"disable-background-timer-throttling", "disable-renderer-backgrounding",
			"disable-backgrounding-occluded-windows"},
	})
}
