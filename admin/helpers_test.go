package admin

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// cheapParams keeps tests fast; tests of the real parameters use defaultArgonParams.
func cheapParams() argonParams {
	return argonParams{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}
}

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTestStore opens a store in a temporary directory with cheap hashing,
// and closes it when the test ends.
func openTestStore(t *testing.T, opts storeOptions) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conclave.db")
	return openTestStoreAt(t, path, opts), path
}

func openTestStoreAt(t *testing.T, path string, opts storeOptions) *Store {
	t.Helper()
	if opts.hash == (argonParams{}) {
		opts.hash = cheapParams()
	}
	s, err := openStore(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// fileDigest returns the SHA-256 of a file's bytes.
func fileDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return sha256.Sum256(b)
}

// dbFilesContain reports whether the database file or its -wal file holds needle.
func dbFilesContain(t *testing.T, path, needle string) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read %s: %v", p, err)
		}
		if bytes.Contains(b, []byte(needle)) {
			return true
		}
	}
	return false
}

// roundTrip sends req and returns the response with its body read and
// closed.
func roundTrip(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
