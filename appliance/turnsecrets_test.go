package appliance

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"conclave/admin"
)

func TestTURNSecretsRotationGrace(t *testing.T) {
	store, err := admin.OpenStore(t.Context(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	ts := &turnSecrets{store: store, now: func() time.Time { return now }}
	if changed, err := ts.load(t.Context()); err != nil || !changed {
		t.Fatalf("first load: changed %v, err %v", changed, err)
	}
	first := ts.current()
	if changed, _ := ts.load(t.Context()); changed {
		t.Error("reload without rotation reported a change")
	}
	if err := store.RotateSecret(t.Context(), "test", admin.SecretTURN); err != nil {
		t.Fatal(err)
	}
	if changed, err := ts.load(t.Context()); err != nil || !changed {
		t.Fatalf("load after rotation: changed %v, err %v", changed, err)
	}
	list := ts.secrets()
	if len(list) != 2 || bytes.Equal(list[0], first) || !bytes.Equal(list[1], first) {
		t.Fatalf("within grace: got %d secrets, want the new one then the old one", len(list))
	}
	now = now.Add(turnSecretGrace + time.Minute)
	if _, err := ts.load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if list := ts.secrets(); len(list) != 1 || bytes.Equal(list[0], first) {
		t.Fatalf("after grace: got %d secrets, want only the new one", len(list))
	}
}
