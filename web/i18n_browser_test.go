package web_test

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// englishOnlyWords are the words of en.json (four letters or more) that no
// German string uses: seeing one on the German page means a string
// escaped translation.
func englishOnlyWords(t *testing.T) map[string]bool {
	t.Helper()
	word := regexp.MustCompile(`\p{L}{4,}`)
	placeholder := regexp.MustCompile(`\{\w+\}`)
	german := map[string]bool{}
	for _, v := range catalogue(t, "de") {
		for _, w := range word.FindAllString(placeholder.ReplaceAllString(v, ""), -1) {
			german[strings.ToLower(w)] = true
		}
	}
	out := map[string]bool{}
	for _, v := range catalogue(t, "en") {
		for _, w := range word.FindAllString(placeholder.ReplaceAllString(v, ""), -1) {
			if !german[strings.ToLower(w)] {
				out[strings.ToLower(w)] = true
			}
		}
	}
	return out
}

// pageWords returns every word the page holds for people: text nodes
// (hidden ones too: they show later) and the title, aria-label, alt and
// placeholder attributes. Device names come from the system and the
// safety code is not words, so their elements are skipped.
func pageWords(p *testenv.Page) []string {
	return testenv.Eval[[]string](p, `(() => {
		const skip = "script, style, noscript, #camera-select, #mic-select, #cam-switch, #mic-switch, #speaker-switch, .safety-emoji, .safety-digits, .lang-select";
		const out = [];
		const walk = (root) => {
			const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) {
				if (!n.parentElement?.closest(skip) && n.textContent.trim()) out.push(n.textContent.trim());
			}
			for (const el of root.querySelectorAll("*")) {
				if (el.closest(skip)) continue;
				for (const a of ["title", "aria-label", "alt", "placeholder"]) {
					const v = el.getAttribute(a);
					if (v) out.push(v);
				}
			}
		};
		walk(document);
		for (const tpl of document.querySelectorAll("template")) walk(tpl.content);
		out.push(document.title);
		return out;
	})()`)
}

// englishOn returns the English-only words on the page, each with the
// text it is in, and the number of texts scanned.
func englishOn(p *testenv.Page, english map[string]bool) (map[string]string, int) {
	word := regexp.MustCompile(`\p{L}{4,}`)
	found := map[string]string{}
	texts := pageWords(p)
	for _, text := range texts {
		for _, w := range word.FindAllString(text, -1) {
			if english[strings.ToLower(w)] {
				found[w] = text
			}
		}
	}
	return found, len(texts)
}

// checkNoEnglish fails for each English-only word on the page.
func checkNoEnglish(t *testing.T, p *testenv.Page, english map[string]bool, stage string) {
	t.Helper()
	checkNoEnglishMin(t, p, english, stage, 40)
}

// checkNoEnglishMin is checkNoEnglish for a page with at least min texts.
func checkNoEnglishMin(t *testing.T, p *testenv.Page, english map[string]bool, stage string, min int) {
	t.Helper()
	found, texts := englishOn(p, english)
	keys := make([]string, 0, len(found))
	for w := range found {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	for _, w := range keys {
		t.Errorf("%s: English word %q in the German page: %q", stage, w, found[w])
	}
	if texts < min {
		t.Errorf("%s: only %d texts on the page: the scan is broken", stage, texts)
	}
}

// TestBrowserGermanHasNoEnglish loads the meeting page in German (the
// browser's language, no ?lang=), opens every panel a moderator sees, and
// scans the page for English words of en.json at each step. Then it
// switches to English in the meeting and back.
func TestBrowserGermanHasNoEnglish(t *testing.T) {
	english := englishOnlyWords(t)
	if len(english) < 100 {
		t.Fatalf("only %d English-only words: the catalogues look wrong", len(english))
	}
	srv, sig := newMeetingServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/140 Safari/537.36", AcceptLanguage: "de-AT,de;q=0.9,en;q=0.5"})
		return err
	}))
	p.Navigate(srv.URL + "/")
	p.WaitFor(`document.documentElement.lang === "de"`)
	checkNoEnglishMin(t, p, english, "landing page", 12)
	p.Screenshot(screenshotPath(t, "landing-de.png"))
	p.Navigate(srv.URL + "/r/klasse-7b?name=Ada#k=" + key)
	waitPreview(t, p)
	if lang := testenv.Eval[string](p, `document.documentElement.lang`); lang != "de" {
		t.Fatalf("browser language de-AT: page language %q, want de", lang)
	}
	if got := testenv.Eval[string](p, `document.getElementById("join-button").textContent`); got != "Jetzt beitreten" {
		t.Errorf("join button: %q", got)
	}
	checkNoEnglish(t, p, english, "pre-join")
	// Control: an English sentence in a hidden element's title is found.
	testenv.Eval[bool](p, `(() => { const e = document.createElement("span"); e.id = "control"; e.hidden = true; e.title = "Mute everyone"; document.body.append(e); return true; })()`)
	if found, _ := englishOn(p, english); found["everyone"] == "" {
		t.Errorf("control: the scan missed an English title; found %v", found)
	}
	testenv.Eval[bool](p, `(() => { document.getElementById("control").remove(); return true; })()`)
	p.Screenshot(screenshotPath(t, "prejoin-de-1280.png"))

	click(p, "#join-button")
	c := sig.nextFor(t, p)
	c.readType("join")
	moderatorWelcome(c, map[string]any{"locked": true, "schoolMode": true})
	c.send(map[string]any{"type": "knock", "participant": map[string]any{"id": "p_eve", "name": "Eve"}})
	p.WaitFor(`!document.getElementById("meeting").hidden && !document.getElementById("knocks").hidden`)
	click(p, "#people-button")
	click(p, `#people-list button.person-more[data-id="p_bob"]`)
	checkNoEnglish(t, p, english, "participants panel and menu")
	p.Screenshot(screenshotPath(t, "moderation-de-1280.png"))
	p.Do(chromedp.KeyEvent("\x1b"))
	click(p, "#more-button")
	checkNoEnglish(t, p, english, "more sheet")
	click(p, "#help-button")
	p.WaitFor(`document.getElementById("help-dialog").open`)
	checkNoEnglish(t, p, english, "shortcuts")
	p.Do(chromedp.KeyEvent("\x1b"))
	click(p, "#chat-button")
	checkNoEnglish(t, p, english, "chat")
	click(p, "#more-button")
	click(p, "#netcheck-button")
	p.WaitFor(`document.getElementById("netcheck-summary").dataset.verdict !== undefined`)
	checkNoEnglish(t, p, english, "connection check")
	p.Do(chromedp.KeyEvent("\x1b"))

	// German is longer than English: nothing may stick out on a phone.
	p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	click(p, "#people-button")
	p.Screenshot(screenshotPath(t, "moderation-de-390.png"))
	if out := outsideViewport(p, "#people-panel, #people-panel button, #people-panel label, #controls button, #knocks"); len(out) != 0 {
		t.Errorf("German on a phone, outside the viewport: %q", out)
	}
	click(p, "#more-button")
	p.Screenshot(screenshotPath(t, "more-de-390.png"))
	if out := outsideViewport(p, "#more-panel, #more-panel button, #more-panel select"); len(out) != 0 {
		t.Errorf("German on a phone, More sheet outside the viewport: %q", out)
	}
	testenv.Eval[bool](p, `(document.getElementById("more-panel").hidePopover(), true)`)
	p.Do(chromedp.EmulateViewport(1280, 800))

	// Switching the language in the meeting redraws it at once.
	click(p, "#more-button")
	testenv.Eval[bool](p, `(() => { const s = document.getElementById("meeting-lang"); s.value = "en"; return s.dispatchEvent(new Event("change")); })()`)
	p.WaitFor(`document.documentElement.lang === "en" && document.getElementById("meeting-count").textContent === "3 participants"`)
	if got := testenv.Eval[string](p, `document.querySelector("#chat-form button").textContent`); got != "Send" {
		t.Errorf("after switching to English, the chat's send button says %q", got)
	}
	if got := testenv.Eval[string](p, `localStorage.getItem("conclave.lang")`); got != "en" {
		t.Errorf("the choice is not remembered: %q", got)
	}
	checkClean(t, p)
}
