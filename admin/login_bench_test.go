package admin

import (
	"path/filepath"
	"testing"
)

// BenchmarkCheckPassword measures one sign-in's password check with the
// production Argon2id parameters (19 MiB, t=2, p=1).
func BenchmarkCheckPassword(b *testing.B) {
	s, err := openStore(b.Context(), filepath.Join(b.TempDir(), "c.db"), storeOptions{hash: defaultArgonParams()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	nu := NewUser{Username: "alice", Password: "alice password", Role: RoleAdmin, Actor: ActorCLI}
	if _, err := s.CreateUser(b.Context(), nu); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.CheckPassword(b.Context(), "alice", nu.Password); err != nil {
			b.Fatal(err)
		}
	}
}
