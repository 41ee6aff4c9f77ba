package admin

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestRotateSecretKeepsThePrevious(t *testing.T) {
	s, err := OpenStore(t.Context(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RotateSecret(t.Context(), ActorCLI, SecretTURN); err == nil {
		t.Fatal("rotating a secret that does not exist: got nil error")
	}
	first, err := s.EnsureSecret(t.Context(), SecretTURN)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Secrets(t.Context(), SecretTURN)
	if err != nil || !bytes.Equal(v.Current, first) || v.Previous != nil || !v.RotatedAt.IsZero() {
		t.Fatalf("before rotation: got %+v, %v; want only the current secret", v, err)
	}
	if err := s.RotateSecret(t.Context(), ActorCLI, SecretTURN); err != nil {
		t.Fatal(err)
	}
	v, err = s.Secrets(t.Context(), SecretTURN)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(v.Current, first) || !bytes.Equal(v.Previous, first) || v.RotatedAt.IsZero() {
		t.Fatalf("after rotation: got current %x previous %x at %v; want a new current and the old one as previous", v.Current, v.Previous, v.RotatedAt)
	}
	if again, _ := s.EnsureSecret(t.Context(), SecretTURN); !bytes.Equal(again, v.Current) {
		t.Fatal("EnsureSecret does not return the rotated secret")
	}
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'secret.rotate' AND object = ?`, SecretTURN).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit rows: %d (%v), want 1", n, err)
	}
}
