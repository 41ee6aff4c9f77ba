package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The meeting page's words live in i18n/LANG.json (js/i18n.js). These
// tests check the catalogues against each other and against the code:
// every key the page or a module uses exists, every language has every
// key with the same placeholders.

// languages are the catalogues we ship; en is the reference.
var languages = []string{"en", "de"}

// catalogue reads i18n/LANG.json; a plural entry is flattened to KEY.FORM.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s.json: %q is neither a string nor plural forms: %v", lang, k, err)
		}
		if forms["one"] == "" || forms["other"] == "" {
			t.Errorf("%s.json: plural %q lacks the forms one and other", lang, k)
		}
		for form, s := range forms {
			out[k+"."+form] = s
		}
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\{\w+\}`)

func placeholders(s string) []string {
	p := placeholderRE.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

func TestCataloguesMatch(t *testing.T) {
	en := catalogue(t, "en")
	for _, lang := range languages[1:] {
		other := catalogue(t, lang)
		for k, v := range en {
			w, ok := other[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q (en: %q)", lang, k, v)
			case strings.TrimSpace(w) == "":
				t.Errorf("%s.json: %q is empty", lang, k)
			case !slices.Equal(placeholders(v), placeholders(w)):
				t.Errorf("%s.json: %q has placeholders %v, en has %v", lang, k, placeholders(w), placeholders(v))
			}
		}
		for k := range other {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which en.json lacks", lang, k)
			}
		}
	}
}

// keysUsed returns the translation keys the page and the modules name:
// data-i18n="KEY", data-i18n-attr="ATTR:KEY;…" and t('KEY' in JavaScript.
// Keys built at run time (err.CODE, securityLabel.STATE, cameraBlocked…)
// are checked by the tables of their own tests; roomlink.js's join errors
// ({ error: 'KEY' }) are found here too.
func keysUsed(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	for _, page := range []string{"room.html", "index.html"} {
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`data-i18n="([^"]+)"`).FindAllSubmatch(html, -1) {
			used[string(m[1])] = append(used[string(m[1])], page)
		}
		for _, m := range regexp.MustCompile(`data-i18n-attr="([^"]+)"`).FindAllSubmatch(html, -1) {
			for _, pair := range strings.Split(string(m[1]), ";") {
				if _, key, ok := strings.Cut(pair, ":"); ok {
					used[key] = append(used[key], page)
				}
			}
		}
	}
	callRE := regexp.MustCompile(`\bt\('([A-Za-z0-9.-]+)'`)
	err := filepath.WalkDir("js", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".js" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range callRE.FindAllSubmatch(b, -1) {
			used[string(m[1])] = append(used[string(m[1])], p)
		}
		for _, m := range regexp.MustCompile(`error: '([A-Za-z]+)'`).FindAllSubmatch(b, -1) {
			used[string(m[1])] = append(used[string(m[1])], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func TestEveryUsedKeyIsTranslated(t *testing.T) {
	en := catalogue(t, "en")
	used := keysUsed(t)
	if len(used) < 50 {
		t.Fatalf("found only %d keys in room.html and js/: the scan is broken", len(used))
	}
	for key, where := range used {
		if _, ok := en[key]; ok {
			continue
		}
		if _, ok := en[key+".other"]; ok {
			continue
		}
		t.Errorf("key %q (used in %v) is not in en.json", key, slices.Compact(where))
	}
}

// TestRoomHTMLHasNoBareText: every text node of room.html and index.html is translated
// (its element has data-i18n), so the HTML's English is only a default
// that translateDOM replaces.
func TestRoomHTMLHasNoBareText(t *testing.T) {
	for _, page := range []string{"room.html", "index.html"} {
		t.Run(page, func(t *testing.T) { checkNoBareText(t, page) })
	}
}

func checkNoBareText(t *testing.T, page string) {
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	body := string(html)
	body = body[strings.Index(body, "<body"):]
	// Drop the icon definitions and attribute values, keep text between tags.
	tagRE := regexp.MustCompile(`(?s)<([a-z0-9-]+)((?:[^>"]|"[^"]*")*)>([^<]*)`)
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		tag, attrs, text := m[1], m[2], strings.TrimSpace(m[3])
		if text == "" || tag == "symbol" || tag == "path" || tag == "kbd" || tag == "script" {
			continue
		}
		if strings.Contains(attrs, "data-i18n=") || tag == "h1" && text == "Conclave" {
			continue // the product's name is the same in every language
		}
		if !regexp.MustCompile(`[A-Za-z]{2,}`).MatchString(text) {
			continue // symbols such as ‹ and ›
		}
		t.Errorf("%s: <%s%s> has untranslated text %q", page, tag, attrs, text)
	}
}
