package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
)

//go:embed templates/*.html
var templateFS embed.FS

// layoutFile is the frame every page renders into; each view defines
// "title" and "content".
const layoutFile = "templates/layout.html"

// pages holds one parsed template set per view, built once at start-up.
// Executing a parsed template is safe for concurrent use.
type pages struct {
	views  map[string]*template.Template
	cssURL string
}

// pageData is what the layout sees: shared values plus the view's own data.
type pageData struct {
	Base   string
	CSSURL string
	Page   any
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
	p := &pages{views: make(map[string]*template.Template), cssURL: as.url("admin.css")}
	for _, f := range files {
		if f == layoutFile {
			continue
		}
		t, err := template.ParseFS(templateFS, layoutFile, f)
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
		err = t.ExecuteTemplate(&buf, "layout", pageData{Base: basePath, CSSURL: a.pages.cssURL, Page: data})
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
