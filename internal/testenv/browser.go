// Package testenv starts the real parts that Conclave's integration and
// browser tests share, so that every test starts them the same way.
package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// chromiumEnv names a Chromium binary to use instead of /usr/bin/chromium.
	chromiumEnv = "CONCLAVE_CHROMIUM"
	// requireBrowserEnv turns the skip for a missing Chromium into a failure,
	// so that CI cannot pass by running no browser test at all.
	requireBrowserEnv = "CONCLAVE_REQUIRE_BROWSER"
	defaultChromium   = "/usr/bin/chromium"

	// cspBinding is the CDP binding through which the page reports
	// securitypolicyviolation events.
	cspBinding = "__conclaveCSPViolation"

	defaultTimeout = 30 * time.Second
	defaultWidth   = 1280
	defaultHeight  = 800
)

// cspListener runs in every document before the page's own scripts. Scripts
// injected through CDP are not subject to the page's CSP, so the listener
// works under script-src 'self'.
const cspListener = `document.addEventListener('securitypolicyviolation', (e) => {
	globalThis.` + cspBinding + `(JSON.stringify({
		directive: e.effectiveDirective, blocked: e.blockedURI,
		source: e.sourceFile, line: e.lineNumber, sample: e.sample,
	}));
}, true);`

// BrowserOptions configures NewBrowser. The zero value is a browser that
// trusts only the system's roots and opens 1280x800 pages.
type BrowserOptions struct {
	// TrustSPKIs lists base64 SHA-256 hashes of the SubjectPublicKeyInfo of
	// server certificates (see SPKIHash) that the browser accepts although
	// they do not chain to a trusted root.
	//
	// We pin leaf keys with --ignore-certificate-errors-spki-list rather than
	// installing a test root: Chromium on Linux reads trust anchors from the
	// NSS database in $HOME/.pki/nssdb, which needs certutil (libnss3-tools,
	// often missing) and is shared by every profile of the user. The SPKI list
	// is per process, needs no tool, and Chromium honours it only together
	// with --user-data-dir, which NewBrowser always sets. It matches the keys
	// the server presents (leaf and intermediates), never a root it does not
	// send, so pass the leaf.
	TrustSPKIs []string

	// Timeout bounds each action of a Page. Zero means 30 s.
	Timeout time.Duration

	// Width and Height are the viewport of new pages in CSS pixels. Zero
	// means 1280x800.
	Width, Height int64

	// TrustRootPEM, when set, is installed as a trusted root CA in the
	// browser's own NSS database, as a person installs /ca.crt: every
	// server certificate that chains to it is trusted, with no pinning.
	TrustRootPEM []byte

	// ExtraFlags are added to the command line, each "name" or
	// "name=value" without the leading dashes; they override the defaults
	// of the same name. See ScreenCaptureFlags.
	ExtraFlags []string
}

// Browser is one headless Chromium process owned by a test. It is closed by a
// t.Cleanup registered in NewBrowser. Its methods are safe to call from the
// test goroutine only.
type Browser struct {
	ctx    context.Context // chromedp context bound to the browser process
	o      BrowserOptions
	output *lockedBuffer
}

// NewBrowser starts a headless Chromium for t. Without Chromium the test is
// skipped, or failed when CONCLAVE_REQUIRE_BROWSER=1. Chromium is found at
// $CONCLAVE_CHROMIUM, else /usr/bin/chromium, else "chromium" on $PATH.
func NewBrowser(t testing.TB, o BrowserOptions) *Browser {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = defaultWidth, defaultHeight
	}
	path := findChromium(t)
	b := &Browser{o: o, output: &lockedBuffer{}}
	opts := browserFlags(path, t.TempDir(), o.TrustSPKIs)
	for _, f := range o.ExtraFlags {
		name, value, ok := strings.Cut(f, "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	if o.TrustRootPEM != nil {
		opts = append(opts, trustRootOptions(t, o.TrustRootPEM)...)
	}
	opts = append(opts, chromedp.CombinedOutput(b.output))

	// The browser lives until the cleanup below, not until t.Context() ends:
	// t.Context() is cancelled before cleanups run, which would kill the
	// process before pages could be closed in order.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start %s: %v\n%s", path, err, b.output.String())
	}
	t.Logf("chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	b.ctx = ctx
	t.Cleanup(func() {
		closeCtx, closeCancel := context.WithTimeout(ctx, 10*time.Second)
		defer closeCancel()
		if err := chromedp.Cancel(closeCtx); err != nil {
			t.Logf("close chromium: %v", err)
		}
		cancel()
		cancelAlloc() // waits for the process to exit
		if t.Failed() {
			t.Logf("chromium output:\n%s", b.output.String())
		}
	})
	return b
}

// browserFlags returns exactly the flags we start Chromium with. We do not
// build on chromedp.DefaultExecAllocatorOptions so that the list stays short
// and reviewable; chromedp adds only --remote-debugging-pipe and about:blank.
func browserFlags(path, userDataDir string, spkis []string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("disable-quic", true),
		// Tests run on loopback only (often in a network namespace with
		// nothing else), and Chromium leaves loopback out of WebRTC's ICE
		// candidates unless told: without this no PeerConnection connects.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.UserDataDir(userDataDir),
	}
	if len(spkis) > 0 {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(spkis, ",")))
	}
	return opts
}

// findChromium returns the Chromium binary, or skips (fails when required).
func findChromium(t testing.TB) string {
	t.Helper()
	candidates := []string{defaultChromium}
	if env := os.Getenv(chromiumEnv); env != "" {
		candidates = []string{env}
	} else if p, err := exec.LookPath("chromium"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return c
		}
	}
	const msg = "chromium not found: apt-get install chromium (set CONCLAVE_REQUIRE_BROWSER=1 to fail instead)"
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatal(msg)
	} else {
		t.Skip(msg)
	}
	return ""
}

// SPKIHash returns the base64 SHA-256 of cert's SubjectPublicKeyInfo, the
// form BrowserOptions.TrustSPKIs takes.
func SPKIHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// LeafSPKI connects to the TLS server at addr (host:port) with serverName
// as SNI (empty for none, as a browser does for an IP address), verifies
// the chain against rootPEM when it is not empty, and returns the SPKI hash
// of the leaf the server presents, for BrowserOptions.TrustSPKIs. It is how
// a test that holds a CA's root, such as the appliance's built-in CA,
// gets the browser to trust that server.
func LeafSPKI(t testing.TB, addr, serverName string, rootPEM []byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Verification happens below, against rootPEM only, not the system roots.
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, InsecureSkipVerify: true}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("leaf spki: dial %s: %v", addr, err)
		return ""
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(rootPEM) > 0 {
		// Check the name the browser will check: the SNI, or the IP address.
		host := serverName
		if host == "" {
			host, _, _ = net.SplitHostPort(addr)
		}
		if err := verifyChain(certs, rootPEM, host); err != nil {
			t.Fatalf("leaf spki: %s: %v", addr, err)
			return ""
		}
	}
	return SPKIHash(certs[0])
}

// verifyChain checks that the presented certificates chain to rootPEM and
// that the leaf is valid for host.
func verifyChain(certs []*x509.Certificate, rootPEM []byte, host string) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		return errors.New("no certificate in the root PEM")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
	if err != nil {
		return fmt.Errorf("does not chain to the root: %w", err)
	}
	return nil
}

// Page is one browser tab. Its helpers fail the test on error, so call them
// from the test goroutine only. It is closed by a t.Cleanup.
type Page struct {
	t       testing.TB
	ctx     context.Context
	timeout time.Duration

	mu            sync.Mutex
	violations    []report // from securitypolicyviolation events
	cspLog        []report // CSP messages of the browser log
	consoleErrors []string
}

// report is one CSP violation and where it happened ("url:line"), so that
// the event and the log message about the same violation count once.
type report struct{ text, where string }

// NewPage opens a tab that records CSP violations and console errors from
// the first document it loads.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{t: t, ctx: ctx, timeout: b.o.Timeout}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		t.Fatalf("listen to tab: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
				return fmt.Errorf("add binding: %w", err)
			}
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
			return err
		}),
		chromedp.EmulateViewport(b.o.Width, b.o.Height),
	)
	if err != nil {
		t.Fatalf("prepare tab: %v", err)
	}
	return p
}

// Context returns the chromedp context of the tab, for actions the helpers
// do not cover. Derive timeouts from it; never cancel it.
func (p *Page) Context() context.Context { return p.ctx }

// Do runs chromedp actions on the tab within the page timeout.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	p.Do(chromedp.Navigate(url))
}

// Run runs one chromedp action that returns a value, such as
// chromedp.WaitEvent, within the page timeout.
func Run[T any](p *Page, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("browser: %v", err)
	}
	return v
}

// Eval evaluates the JavaScript expression in the page, awaits it when it
// is a promise, and decodes the result into T.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	return Run(p, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// WaitFor polls the JavaScript expression until it is truthy, within the
// page timeout.
func (p *Page) WaitFor(expr string) {
	p.t.Helper()
	p.Do(chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(p.timeout)))
}

// Screenshot writes a PNG of the whole page (not only the viewport) to path,
// creating its directory, and logs the path.
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	var png []byte
	p.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		m, err := chromedp.Call(ctx, page.GetLayoutMetrics, struct{}{})
		if err != nil {
			return fmt.Errorf("layout metrics: %w", err)
		}
		clip := &page.Viewport{Width: m.CSSContentSize.Width, Height: m.CSSContentSize.Height, Scale: 1}
		beyond := true
		r, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, Clip: clip, CaptureBeyondViewport: &beyond,
		})
		png = r.Data
		return err
	}))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatalf("screenshot dir: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("write screenshot: %v", err)
	}
	p.t.Logf("screenshot: %s", path)
}

// CSPViolations returns the Content Security Policy violations seen since
// the page opened, one line each. It first lets the page run pending tasks,
// because browsers fire violation events from a queued task.
func (p *Page) CSPViolations() []string {
	p.t.Helper()
	p.settle()
	p.mu.Lock()
	defer p.mu.Unlock()
	return mergeReports(p.violations, p.cspLog)
}

// mergeReports returns every event, plus each log message that no event
// at the same place accounts for. The log catches what the page's listener
// cannot see; the event carries the precise directive and blocked URL.
func mergeReports(events, logged []report) []string {
	seen := make(map[string]int)
	out := make([]string, 0, len(events))
	for _, e := range events {
		seen[e.where]++
		out = append(out, e.text)
	}
	for _, l := range logged {
		if seen[l.where] > 0 {
			seen[l.where]--
			continue
		}
		out = append(out, l.text)
	}
	return out
}

// ConsoleErrors returns console.error calls, uncaught exceptions and
// error entries of the browser log seen since the page opened.
func (p *Page) ConsoleErrors() []string {
	p.t.Helper()
	p.settle()
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.consoleErrors...)
}

// settle waits until tasks the page has queued have run. Events they cause
// arrive before the reply, and Listen handles them in order.
func (p *Page) settle() {
	p.t.Helper()
	Eval[bool](p, `new Promise((r) => setTimeout(() => r(true), 50))`)
}

// onEvent runs on chromedp's reader goroutine: it must only record.
func (p *Page) onEvent(ev any) {
	switch e := ev.(type) {
	case *runtime.EventBindingCalled:
		if e.Name == cspBinding {
			p.mu.Lock()
			p.violations = append(p.violations, parseViolation(e.Payload))
			p.mu.Unlock()
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			p.recordError("console." + string(e.Type) + ": " + formatArgs(e.Args))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.recordError(fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		// The log numbers lines from 0, the violation event from 1.
		where := fmt.Sprintf("%s:%d", e.Entry.URL, e.Entry.LineNumber+1)
		text := fmt.Sprintf("%s: %s (%s)", e.Entry.Source, e.Entry.Text, where)
		p.mu.Lock()
		defer p.mu.Unlock()
		if strings.Contains(e.Entry.Text, "Content Security Policy") {
			p.cspLog = append(p.cspLog, report{text: text, where: where})
		}
		if e.Entry.Level == log.EntryLevelError {
			p.consoleErrors = append(p.consoleErrors, text)
		}
	}
}

func (p *Page) recordError(s string) {
	p.mu.Lock()
	p.consoleErrors = append(p.consoleErrors, s)
	p.mu.Unlock()
}

// parseViolation turns the listener's JSON into one readable line.
func parseViolation(payload string) report {
	var v struct {
		Directive, Blocked, Source, Sample string
		Line                               int
	}
	if err := json.Unmarshal([]byte(payload), &v); err != nil {
		return report{text: "unparsable violation report: " + payload}
	}
	where := fmt.Sprintf("%s:%d", v.Source, v.Line)
	text := fmt.Sprintf("%s blocked %s at %s", v.Directive, v.Blocked, where)
	if v.Sample != "" {
		text += fmt.Sprintf(" (sample %q)", v.Sample)
	}
	return report{text: text, where: where}
}

// formatArgs renders console arguments roughly as DevTools shows them.
func formatArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case len(a.Value) > 0:
			if err := json.Unmarshal(a.Value, &s); err != nil {
				s = string(a.Value)
			}
		case a.Description != "":
			s = a.Description
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// lockedBuffer collects the browser's output from chromedp's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
