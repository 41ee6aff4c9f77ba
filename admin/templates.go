package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// layoutFile is the frame every page renders into; each view defines
// "title" and "content".
const layoutFile = "templates/layout.html"

// pages holds one parsed template set per view, built once at start-up.
// Executing a parsed template is safe for concurrent use.
type pages struct {
	views   map[string]*template.Template
	cssURL  string
	iconURL string
	jsURL   map[string]string
}

// pageData is what the layout sees: shared values plus the view's own data.
type pageData struct {
	Base     string
	CSSURL   string
	IconURL  string
	Scripts  []string
	Instance string
	// Section is the navigation entry to highlight.
	Section  string
	User     User
	SignedIn bool
	IsAdmin  bool
	IsStaff  bool
	// Flash confirms the action that redirected here.
	Flash string
	Page  any
}

// viewScripts lists the scripts of views that need more than admin.js.
func viewScripts(view string) []string {
	switch view {
	case "dashboard.html":
		return []string{"admin.js", "dashboard.js"}
	case "room.html":
		return []string{"admin.js", "roomlink.js"}
	}
	return []string{"admin.js"}
}

// viewSection maps a view to its navigation entry.
func viewSection(view string) string {
	name := strings.TrimSuffix(view, ".html")
	if i := strings.IndexAny(name, "_"); i > 0 {
		name = name[:i]
	}
	switch name {
	case "room", "rooms":
		return "rooms"
	case "user", "users", "bulk", "invitecreated":
		return "users"
	case "token", "tokens":
		return "tokens"
	}
	return name
}

// errorPage is the data of error.html.
type errorPage struct {
	Status    int
	Text      string
	RequestID string
}

func newPages(as *assets) (*pages, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: list templates: %w", err)
	}
	p := &pages{views: make(map[string]*template.Template), cssURL: as.url("admin.css"), iconURL: as.url("favicon.svg"),
		jsURL: make(map[string]string)}
	for _, js := range []string{"admin.js", "dashboard.js", "roomlink.js"} {
		if _, ok := as.files[js]; !ok {
			return nil, fmt.Errorf("admin: missing static file %s", js)
		}
		p.jsURL[js] = as.url(js)
	}
	for _, f := range files {
		if f == layoutFile {
			continue
		}
		t, err := template.New(path.Base(f)).Funcs(templateFuncs()).ParseFS(templateFS, layoutFile, f)
		if err != nil {
			return nil, fmt.Errorf("admin: parse template %s: %w", f, err)
		}
		p.views[path.Base(f)] = t
	}
	return p, nil
}

// render executes a view into a buffer and only then writes it, so a template
// error never sends half a page. HTML responses are never cached: setup pages
// carry the setup token.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, status int, view string, data any) {
	t, ok := a.pages.views[view]
	var buf bytes.Buffer
	err := fmt.Errorf("admin: no template %q", view)
	if ok {
		err = t.ExecuteTemplate(&buf, "layout", a.pageData(r, view, data))
	}
	if err != nil {
		// Not httpError: the error page is a template too.
		a.log.ErrorContext(r.Context(), "render admin page", "view", view, "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a failed write means the client left; nothing to do
}

// pageData gathers what the layout shows around a view.
func (a *Admin) pageData(r *http.Request, view string, data any) pageData {
	pd := pageData{Base: basePath, CSSURL: a.pages.cssURL, IconURL: a.pages.iconURL, Section: viewSection(view), Page: data,
		Instance: "Conclave", Flash: flashText(r.URL.Query().Get("done"))}
	if st, err := a.store.Settings(r.Context()); err == nil {
		pd.Instance = st.DisplayName()
	}
	if u, ok := CurrentUser(r.Context()); ok {
		p := principal{user: u}
		pd.User, pd.SignedIn, pd.IsAdmin, pd.IsStaff = u, true, p.isAdmin(), p.isStaff()
	}
	if pd.IsStaff {
		// Pages for people not signed in (sign-in, setup, invite) run no script at all.
		for _, js := range viewScripts(view) {
			pd.Scripts = append(pd.Scripts, a.pages.jsURL[js])
		}
	}
	return pd
}
