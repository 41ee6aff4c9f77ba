package admin

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"
)

func TestEnsureSecretIsStableAndShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	s1, err := OpenStore(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := OpenStore(t.Context(), path) // the admin CLI beside the server
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			v, err := s.EnsureSecret(t.Context(), SecretTURN)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	for i, v := range got {
		if len(v) != secretBytes || !bytes.Equal(v, got[0]) {
			t.Fatalf("call %d got %x, want the same %d-byte secret as call 0 (%x)", i, v, secretBytes, got[0])
		}
	}
	if again, _ := s1.EnsureSecret(t.Context(), SecretTURN); !bytes.Equal(again, got[0]) {
		t.Fatal("secret changed on a later call")
	}
}
