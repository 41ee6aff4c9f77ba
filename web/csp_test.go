package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// The appliance serves every page with a CSP that allows scripts and
// styles only from files of our origin ("script-src 'self'; style-src
// 'self'"). These tests catch markup the browser would then refuse, before
// a browser test or a person does.

// cspProblems returns what in an HTML or SVG document breaks our CSP:
// inline scripts, <style> blocks, style attributes, on* event handlers,
// javascript: URLs, <base>, and resources from other origins.
func cspProblems(r io.Reader) ([]string, error) {
	var problems []string
	z := html.NewTokenizer(r)
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return problems, nil
			}
			return problems, z.Err()
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				problems = append(problems, "inline script")
			}
		case html.EndTagToken:
			inScript = false
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			problems = append(problems, tagProblems(tok)...)
			inScript = tok.Data == "script" && tt == html.StartTagToken
		}
	}
}

func tagProblems(tok html.Token) []string {
	var problems []string
	switch tok.Data {
	case "style":
		problems = append(problems, "<style> block")
	case "base":
		problems = append(problems, "<base> (base-uri 'none')")
	case "script":
		if attr(tok, "src") == "" {
			problems = append(problems, "<script> without src")
		}
		if attr(tok, "type") == "importmap" {
			problems = append(problems, "import map (inline by definition)")
		}
	}
	for _, a := range tok.Attr {
		name := strings.ToLower(a.Key)
		val := strings.TrimSpace(strings.ToLower(a.Val))
		switch {
		case name == "style":
			problems = append(problems, fmt.Sprintf("style attribute on <%s>", tok.Data))
		case strings.HasPrefix(name, "on"):
			problems = append(problems, fmt.Sprintf("%s handler on <%s>", name, tok.Data))
		case strings.HasPrefix(val, "javascript:"):
			problems = append(problems, fmt.Sprintf("javascript: URL in %s", name))
		case (name == "src" || name == "href" && tok.Data != "a") && !sameOrigin(val):
			problems = append(problems, fmt.Sprintf("<%s %s=%q> is not from our origin", tok.Data, name, a.Val))
		}
	}
	return problems
}

// sameOrigin accepts a path on our origin, a fragment, an SVG-internal
// reference, or a template action (its rendering is scanned too); it
// refuses other hosts (CDNs, fonts) and scheme-relative URLs.
func sameOrigin(u string) bool {
	return u == "" || strings.HasPrefix(u, "#") || strings.HasPrefix(u, "{{") ||
		strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestCSPProblemsDetector(t *testing.T) {
	tests := []struct {
		name, doc string
		want      int
	}{
		{"clean", `<script type="module" src="/a.js"></script><link rel="stylesheet" href="/a.css"><a href="https://x">x</a>`, 0},
		{"inline script", `<script>alert(1)</script>`, 2},
		{"inline module", `<script type="module" src="/a.js">x()</script>`, 1},
		{"import map", `<script type="importmap" src="/m.json"></script>`, 1},
		{"style block", `<style>p{}</style>`, 1},
		{"style attribute", `<p style="color:red">x</p>`, 1},
		{"handler", `<button onclick="go()">x</button>`, 1},
		{"svg handler", `<svg><circle onload="x()"/></svg>`, 1},
		{"javascript url", `<a href=" javascript:alert(1)">x</a>`, 1},
		{"cdn script", `<script src="https://cdn.example/x.js"></script>`, 1},
		{"web font", `<link rel="stylesheet" href="//fonts.example/css">`, 1},
		{"base", `<base href="/">`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cspProblems(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("got %q, want %d problems", got, tt.want)
			}
		})
	}
}

// TestEmbeddedMarkupFollowsCSP scans every embedded HTML and SVG file and
// every rendered page.
func TestEmbeddedMarkupFollowsCSP(t *testing.T) {
	docs := map[string][]byte{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (path.Ext(p) != ".html" && path.Ext(p) != ".svg") {
			return err
		}
		docs[p], err = fs.ReadFile(files, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSite(files)
	if err != nil {
		t.Fatal(err)
	}
	for name, page := range s.pages {
		docs["rendered "+name] = page.body
	}
	if len(docs) < 3 {
		t.Fatalf("scanned %d documents, want the pages, their renderings and the icon", len(docs))
	}
	for name, doc := range docs {
		problems, err := cspProblems(bytes.NewReader(doc))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestScriptsAndStyles checks every module and stylesheet: type-checked
// JavaScript, imports only of our own relative files, no innerHTML (text
// goes in as textContent), no eval, and no url() to another origin.
func TestScriptsAndStyles(t *testing.T) {
	forbiddenJS := regexp.MustCompile(`\.innerHTML\b|\bouterHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	importFrom := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^;]*?\bfrom\s*'([^']*)'`)
	cssURL := regexp.MustCompile(`url\(\s*["']?([^"')]*)`)
	n := 0
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		switch path.Ext(p) {
		case ".js":
			n++
			if !bytes.HasPrefix(src, []byte("// @ts-check\n")) {
				t.Errorf("%s: first line is not // @ts-check", p)
			}
			if m := forbiddenJS.Find(src); m != nil {
				t.Errorf("%s: uses %s", p, m)
			}
			for _, m := range importFrom.FindAllSubmatch(src, -1) {
				if spec := string(m[1]); !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
					t.Errorf("%s: imports %q, want a relative path to our own file", p, spec)
				}
			}
		case ".css":
			for _, m := range cssURL.FindAllSubmatch(src, -1) {
				if u := string(m[1]); !strings.HasPrefix(u, "data:") && !sameOrigin(u) && !strings.HasPrefix(u, "../") {
					t.Errorf("%s: url(%s) is not from our origin", p, u)
				}
			}
			if bytes.Contains(src, []byte("@import")) {
				t.Errorf("%s: @import (load stylesheets from the page instead)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("checked %d modules, want at least 3", n)
	}
}
