// Package web serves Conclave's browser client: the landing page at "/",
// the meeting page at "/r/ROOM", and the static files they use. Everything is embedded in the binary and
// written as plain ES modules, so there is no build step.
//
// Static files are served under /static/VERSION/PATH, where VERSION is a
// hash of every static file, and cached by browsers as immutable. Pages
// are html/template files rendered once at start-up with the {{asset}}
// function, which turns "css/app.css" into that URL; they are served with
// "Cache-Control: no-cache" and an ETag, so a new version shows up on the
// next load. Security headers (CSP and others) are not set here: the
// appliance sets them on every response.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// files holds the client. Pages are *.html at the top level; everything
// else is a static file.
//
//go:embed index.html room.html css js img i18n
var files embed.FS

const (
	staticPrefix   = "/static/"
	cacheImmutable = "public, max-age=31536000, immutable"
	cachePage      = "no-cache"
	maxRoomName    = 64
)

// Handler returns the handler for GET (and HEAD) "/" (the landing page),
// "/r/ROOM" (the meeting page) and "/static/VERSION/...". Every other path
// is 404. Mount it at the root of
// the router. It panics if the embedded files are inconsistent, a build
// bug that the package's tests catch.
func Handler() http.Handler {
	s, err := newSite(files)
	if err != nil {
		panic(err)
	}
	return s.routes()
}

// site is the client, hashed and rendered once; it is read-only afterwards.
type site struct {
	version string
	assets  map[string]file // static files by path, such as "js/landing.js"
	pages   map[string]file // rendered pages by name, such as "index.html"
}

// file is one response body with its headers.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// newSite reads fsys, hashes the static files and renders the pages.
func newSite(fsys fs.FS) (*site, error) {
	s := &site{assets: make(map[string]file), pages: make(map[string]file)}
	var pageNames []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(p) == ".html" && !strings.Contains(p, "/") {
			pageNames = append(pageNames, p)
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("web: read %s: %w", p, err)
		}
		ct, ok := contentType(path.Ext(p))
		if !ok {
			return fmt.Errorf("web: %s: no content type for %q files", p, path.Ext(p))
		}
		s.assets[p] = file{body: body, contentType: ct, etag: etag(body)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.version = s.hashAssets()
	for _, name := range pageNames {
		page, err := s.render(fsys, name)
		if err != nil {
			return nil, err
		}
		s.pages[name] = page
	}
	return s, nil
}

// hashAssets returns a short hash of every static file and its path.
//
// One version for the whole set, rather than one hash per file name, is
// deliberate: ES modules import each other by relative URL
// ("./lib/roomlink.js"), and those URLs would keep pointing at the old
// hash of a changed dependency. An import map could redirect them, but it
// must be an inline script, which our CSP forbids.
func (s *site) hashAssets() string {
	names := make([]string, 0, len(s.assets))
	for name := range s.assets {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", name, s.assets[name].etag)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// render executes one page template into its final bytes.
func (s *site) render(fsys fs.FS, name string) (file, error) {
	funcs := template.FuncMap{"asset": s.assetURL}
	tmpl, err := template.New(name).Funcs(funcs).ParseFS(fsys, name)
	if err != nil {
		return file{}, fmt.Errorf("web: parse %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return file{}, fmt.Errorf("web: render %s: %w", name, err)
	}
	body := buf.Bytes()
	return file{body: body, contentType: "text/html; charset=utf-8", etag: etag(body)}, nil
}

// assetURL is the template function {{asset "css/app.css"}}. An unknown
// name fails the render, so a typo fails start-up and the tests.
func (s *site) assetURL(name string) (string, error) {
	if _, ok := s.assets[name]; !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return staticPrefix + s.version + "/" + name, nil
}

func (s *site) routes() http.Handler {
	mux := http.NewServeMux()
	// A GET pattern also matches HEAD; other methods get 405.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, s.pages["index.html"], cachePage)
	})
	mux.HandleFunc("GET /r/{room}", s.serveRoom)
	mux.HandleFunc("GET "+staticPrefix+"{version}/{path...}", s.serveStatic)
	return mux
}

// serveRoom serves the meeting page for a valid room name. The room's
// secret is in the link's fragment, which browsers never send, so the page
// is the same for every room and the server learns nothing from serving it.
// A name that is valid once lower-cased is redirected to that form (the
// redirect keeps the fragment); anything else is 404, so that a mistyped
// link fails here rather than inside the meeting.
func (s *site) serveRoom(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	if validRoomName(room) {
		serve(w, r, s.pages["room.html"], cachePage)
		return
	}
	if lower := strings.ToLower(room); validRoomName(lower) {
		target := "/r/" + lower
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	http.NotFound(w, r)
}

// validRoomName reports whether name is 1 to 64 of a-z, 0-9, '-' and '_',
// the rule of docs/protocol.md and js/lib/roomlink.js.
func validRoomName(name string) bool {
	if len(name) < 1 || len(name) > maxRoomName {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// serveStatic serves a static file of the current version. Other versions
// are 404 rather than today's file: an immutable URL must never change.
func (s *site) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets[r.PathValue("path")]
	if !ok || r.PathValue("version") != s.version {
		http.NotFound(w, r)
		return
	}
	serve(w, r, f, cacheImmutable)
}

// serve writes f; http.ServeContent answers If-None-Match and Range.
func serve(w http.ResponseWriter, r *http.Request, f file, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// contentType maps the extensions we ship to their types. It is a fixed
// table, not mime.TypeByExtension, whose answers depend on the host's
// /etc/mime.types.
func contentType(ext string) (string, bool) {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8", true
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".json":
		return "application/json", true
	case ".webmanifest":
		return "application/manifest+json", true
	case ".svg":
		return "image/svg+xml", true
	case ".png":
		return "image/png", true
	case ".ico":
		return "image/x-icon", true
	case ".woff2":
		return "font/woff2", true
	case ".txt":
		return "text/plain; charset=utf-8", true
	}
	return "", false
}
