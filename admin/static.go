package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/go-chi/chi/v5"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with its content hash.
type asset struct {
	body        []byte
	hash        string
	contentType string
}

// assets serves the embedded static files. Pages link them with ?v=HASH; a
// request carrying the current hash may be cached forever, any other
// revalidates.
type assets struct {
	files map[string]asset
}

func newAssets() (*assets, error) {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("admin: list static files: %w", err)
	}
	as := &assets{files: make(map[string]asset)}
	for _, e := range entries {
		body, err := fs.ReadFile(staticFS, "static/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("admin: read static file %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		as.files[e.Name()] = asset{body: body, hash: hex.EncodeToString(sum[:8]), contentType: ct}
	}
	return as, nil
}

// url is the cache-busting URL of a static file, under the mount point.
func (as *assets) url(name string) string {
	return basePath + "/static/" + name + "?v=" + as.files[name].hash
}

// static serves GET /static/{name}.
func (a *Admin) static(w http.ResponseWriter, r *http.Request) {
	f, ok := a.assets.files[chi.URLParam(r, "name")]
	if !ok {
		a.httpError(w, r, ErrNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
