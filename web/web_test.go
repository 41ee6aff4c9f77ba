package web

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkHeader(t *testing.T, resp *http.Response, key, want string) {
	t.Helper()
	if got := resp.Header.Get(key); got != want {
		t.Errorf("%s %s: got %q, want %q", resp.Request.URL.Path, key, got, want)
	}
}

func TestIndex(t *testing.T) {
	h := Handler()
	resp := get(t, h, "GET", "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status: got %d, want 200", resp.StatusCode)
	}
	checkHeader(t, resp, "Content-Type", "text/html; charset=utf-8")
	checkHeader(t, resp, "Cache-Control", "no-cache")
	page := body(t, resp)
	for _, s := range []string{"<title>Conclave</title>", "Private video meetings on your own server.",
		"Start a meeting", `href="/ca.crt"`, `href="/admin/"`, `aria-live=`} {
		if !strings.Contains(page, s) {
			t.Errorf("page does not contain %q", s)
		}
	}

	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the page")
	}
	if resp := get(t, h, "GET", "/", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: got %d, want 304", resp.StatusCode)
	}
	if resp := get(t, h, "HEAD", "/"); resp.StatusCode != http.StatusOK || body(t, resp) != "" {
		t.Errorf("HEAD: got %d with a body, want 200 without", resp.StatusCode)
	}
}

var staticRef = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

func TestReferencedAssetsAreImmutable(t *testing.T) {
	h := Handler()
	page := body(t, get(t, h, "GET", "/"))
	refs := staticRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("got %d static references, want the icon, the stylesheet and the script", len(refs))
	}
	for _, m := range refs {
		resp := get(t, h, "GET", m[1])
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d, want 200", m[1], resp.StatusCode)
			continue
		}
		want, _ := contentType(path.Ext(m[1]))
		checkHeader(t, resp, "Content-Type", want)
		checkHeader(t, resp, "Cache-Control", "public, max-age=31536000, immutable")
		name := strings.SplitN(strings.TrimPrefix(m[1], "/static/"), "/", 2)[1]
		embedded, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		if body(t, resp) != string(embedded) {
			t.Errorf("%s: body differs from the embedded %s", m[1], name)
		}
	}
}

// TestModuleImportsResolve follows every module's relative imports, which
// carry no hash of their own, and checks each is served.
func TestModuleImportsResolve(t *testing.T) {
	s, err := newSite(files)
	if err != nil {
		t.Fatal(err)
	}
	h := s.routes()
	importRe := regexp.MustCompile(`(?m)^import [^;]* from '(\.\.?/[^']+)';`)
	n := 0
	for name, f := range s.assets {
		if path.Ext(name) != ".js" {
			continue
		}
		for _, m := range importRe.FindAllStringSubmatch(string(f.body), -1) {
			n++
			target := staticPrefix + s.version + "/" + path.Join(path.Dir(name), m[1])
			if resp := get(t, h, "GET", target); resp.StatusCode != http.StatusOK {
				t.Errorf("%s imports %s: %s is %d", name, m[1], target, resp.StatusCode)
			}
		}
	}
	if n < 2 {
		t.Errorf("followed %d imports, want at least landing.js's two", n)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	s, err := newSite(files)
	if err != nil {
		t.Fatal(err)
	}
	h := s.routes()
	v := s.version
	tests := []struct {
		method, target string
		want           int
	}{
		{"GET", "/nope", http.StatusNotFound},
		{"GET", "/index.html", http.StatusNotFound},
		{"GET", "/favicon.ico", http.StatusNotFound},
		{"GET", "/r/", http.StatusNotFound},
		{"GET", "/r/brisk-otter-42/", http.StatusNotFound},
		{"GET", "/r/brisk-otter-42/x", http.StatusNotFound},
		{"POST", "/r/brisk-otter-42", http.StatusMethodNotAllowed},
		{"GET", "/static/", http.StatusNotFound},
		{"GET", "/static/" + v + "/", http.StatusNotFound},
		{"GET", "/static/" + v + "/nope.js", http.StatusNotFound},
		{"GET", "/static/" + v + "/index.html", http.StatusNotFound},
		{"GET", "/static/0000000000000000/js/landing.js", http.StatusNotFound},
		{"GET", "/static/" + v + "/js/landing.js", http.StatusOK},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"DELETE", "/static/" + v + "/css/app.css", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		if got := get(t, h, tt.method, tt.target).StatusCode; got != tt.want {
			t.Errorf("%s %s: got %d, want %d", tt.method, tt.target, got, tt.want)
		}
	}
}

func TestNewSiteRefusesBrokenFiles(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"unknown extension", fstest.MapFS{"x.bin": {Data: []byte("x")}}, `no content type for ".bin"`},
		{"missing asset", fstest.MapFS{"index.html": {Data: []byte(`{{asset "css/nope.css"}}`)}}, `no static file "css/nope.css"`},
		{"bad template", fstest.MapFS{"index.html": {Data: []byte(`{{asset`)}}, "parse index.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSite(tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestVersionFollowsContent(t *testing.T) {
	version := func(css string) string {
		s, err := newSite(fstest.MapFS{
			"css/app.css":  {Data: []byte(css)},
			"js/a.js":      {Data: []byte("// @ts-check\n")},
			"index.html":   {Data: []byte(`<link href="{{asset "css/app.css"}}">`)},
			"img/icon.svg": {Data: []byte("<svg/>")},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s.version
	}
	a, b, c := version("a{}"), version("a{}"), version("b{}")
	if a != b || a == c {
		t.Errorf("versions: same content %q %q, changed content %q; want equal then different", a, b, c)
	}
}

func TestContentTypes(t *testing.T) {
	tests := []struct{ ext, want string }{
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".exe", ""},
	}
	for _, tt := range tests {
		if got, _ := contentType(tt.ext); got != tt.want {
			t.Errorf("contentType(%q): got %q, want %q", tt.ext, got, tt.want)
		}
	}
}

func TestRoomPage(t *testing.T) {
	h := Handler()
	index := body(t, get(t, h, "GET", "/"))
	tests := []struct {
		name, target string
		want         int
		location     string
	}{
		{"typical", "/r/brisk-otter-42", http.StatusOK, ""},
		{"one character", "/r/a", http.StatusOK, ""},
		{"underscore and digits", "/r/team_sync_2026", http.StatusOK, ""},
		{"64 characters", "/r/" + strings.Repeat("a", 64), http.StatusOK, ""},
		{"with query", "/r/t?name=Ada&autojoin=1", http.StatusOK, ""},
		{"65 characters", "/r/" + strings.Repeat("a", 65), http.StatusNotFound, ""},
		{"dot", "/r/a.b", http.StatusNotFound, ""},
		{"space", "/r/a%20b", http.StatusNotFound, ""},
		{"escaped slash", "/r/a%2Fb", http.StatusNotFound, ""},
		{"non-ascii", "/r/%C3%A9migr%C3%A9", http.StatusNotFound, ""},
		{"percent-encoded letter is still a letter", "/r/%61bc", http.StatusOK, ""},
		{"upper case redirects", "/r/Team-Sync", http.StatusMovedPermanently, "/r/team-sync"},
		{"redirect keeps the query", "/r/ABC?name=Ada", http.StatusMovedPermanently, "/r/abc?name=Ada"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, "GET", tt.target)
			if resp.StatusCode != tt.want {
				t.Fatalf("GET %s: got %d, want %d", tt.target, resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location: got %q, want %q", got, tt.location)
			}
			if tt.want != http.StatusOK {
				return
			}
			checkHeader(t, resp, "Content-Type", "text/html; charset=utf-8")
			checkHeader(t, resp, "Cache-Control", "no-cache")
			page := body(t, resp)
			if page == index {
				t.Fatal("the room page is the landing page")
			}
			for _, s := range []string{`id="prejoin"`, `id="grid"`, `id="controls"`, `id="tile-template"`,
				"/js/main.js", "/css/room.css", "Join now"} {
				if !strings.Contains(page, s) {
					t.Errorf("room page lacks %q", s)
				}
			}
		})
	}
}

// TestRoomPageAssets checks that every file the room page references is
// served, and that every module of the meeting client is reachable from
// main.js through imports, so that none is shipped but dead.
func TestRoomPageAssets(t *testing.T) {
	s, err := newSite(files)
	if err != nil {
		t.Fatal(err)
	}
	h := s.routes()
	page := body(t, get(t, h, "GET", "/r/t"))
	refs := staticRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 4 {
		t.Fatalf("got %d static references, want icon, two stylesheets and the script", len(refs))
	}
	for _, m := range refs {
		if resp := get(t, h, "GET", m[1]); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d, want 200", m[1], resp.StatusCode)
		}
	}
	importRe := regexp.MustCompile(`(?m)^import [^;]* from '(\.\.?/[^']+)';`)
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		f, ok := s.assets[name]
		if !ok {
			t.Errorf("module %s is imported but not embedded", name)
			return
		}
		for _, m := range importRe.FindAllStringSubmatch(string(f.body), -1) {
			visit(path.Join(path.Dir(name), m[1]))
		}
	}
	visit("js/main.js")
	for _, want := range []string{"js/signal.js", "js/peer.js", "js/media.js", "js/meeting.js",
		"js/ui/prejoin.js", "js/ui/grid.js", "js/ui/controls.js", "js/lib/roomlink.js"} {
		if !seen[want] {
			t.Errorf("%s is not reachable from js/main.js", want)
		}
	}
	// js/e2ee/ runs in the E2EE worker, which a page starts with new Worker,
	// not import; web/sframe_browser_test.go loads and tests those modules.
	for name := range s.assets {
		if strings.HasSuffix(name, ".js") && !seen[name] && name != "js/landing.js" && !strings.HasPrefix(name, "js/e2ee/") {
			t.Errorf("%s is embedded but imported by neither page", name)
		}
	}
}

func TestValidRoomName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"a", true}, {"brisk-otter-42", true}, {"_-_", true}, {strings.Repeat("z", 64), true},
		{"", false}, {strings.Repeat("z", 65), false}, {"A", false}, {"a b", false},
		{"a/b", false}, {"é", false}, {"a\x00", false},
	}
	for _, tt := range tests {
		if got := validRoomName(tt.in); got != tt.want {
			t.Errorf("validRoomName(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzValidRoomName(f *testing.F) {
	for _, s := range []string{"a", "brisk-otter-42", "", "A", "a/b", "é", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	ok := regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validRoomName(s), ok.MatchString(s); got != want {
			t.Errorf("validRoomName(%q): got %v, want %v (the regexp of roomlink.js)", s, got, want)
		}
	})
}

// words reads the flat strings of the embedded i18n/LANG.json.
func words(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(files, "i18n/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range all {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// TestEveryProtocolErrorHasText checks that each error code of
// docs/protocol.md has its own words, "err.CODE", in every language of
// i18n/ (js/ui/text.js looks them up), so that people see what happened
// rather than a code or a generic message.
func TestEveryProtocolErrorHasText(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| ((?:`[a-z-]+`(?:, )?)+) \\|")
	code := regexp.MustCompile("`([a-z-]+)`")
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		for _, c := range code.FindAllStringSubmatch(m[1], -1) {
			n++
			for _, lang := range []string{"en", "de"} {
				if words(t, lang)["err."+c[1]] == "" {
					t.Errorf("error code %q of docs/protocol.md has no text in i18n/%s.json", c[1], lang)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d error codes in docs/protocol.md, want the whole table", n)
	}
}
