package admin

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// BenchmarkAPIRooms measures one request of each kind over a kept-alive TLS
// connection to the real handler and store (cheap Argon2id parameters; the
// real ones add their hashing time to a POST or PATCH that sets a password).
func BenchmarkAPIRooms(b *testing.B) {
	srv, tok := benchAPIServer(b)
	for i := range 50 {
		benchDo(b, srv, tok, "POST", "/api/v1/rooms", fmt.Sprintf(`{"slug":"room-%d"}`, i), 201)
	}
	cases := []struct{ name, method, path, body string }{
		{"GET one", "GET", "/api/v1/rooms/room-7", ""},
		{"GET list of 50", "GET", "/api/v1/rooms", ""},
		{"PATCH lobby", "PATCH", "/api/v1/rooms/room-7", `{"lobby":true}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				benchDo(b, srv, tok, c.method, c.path, c.body, 200)
			}
		})
	}
	b.Run("POST and DELETE", func(b *testing.B) {
		for b.Loop() {
			benchDo(b, srv, tok, "POST", "/api/v1/rooms", `{"slug":"bench"}`, 201)
			benchDo(b, srv, tok, "DELETE", "/api/v1/rooms/bench", "", 204)
		}
	})
}

// benchAPIServer is newAPIServer for benchmarks.
func benchAPIServer(b *testing.B) (*httptest.Server, string) {
	b.Helper()
	s, err := openStore(b.Context(), filepath.Join(b.TempDir(), "conclave.db"), storeOptions{hash: cheapParams()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	a, err := New(Config{}, s)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.CreateAPIToken(b.Context(), ActorCLI, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/api/v1", a.APIHandler())
	srv := httptest.NewTLSServer(r)
	b.Cleanup(srv.Close)
	return srv, tok
}

func benchDo(b *testing.B, srv *httptest.Server, tok, method, path, body string, want int) {
	b.Helper()
	req, err := http.NewRequestWithContext(b.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: got %d, want %d", method, path, resp.StatusCode, want)
	}
}
