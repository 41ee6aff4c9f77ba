package install

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recorder stands in for Options.Run: it records each command line and
// answers "id conclave" as a system where the user exists after useradd.
type recorder struct {
	cmds       []string
	userExists bool
	fail       string // a command line that fails
}

var errFake = errors.New("fake failure")

func (r *recorder) run(_ context.Context, name string, args ...string) error {
	line := strings.Join(append([]string{name}, args...), " ")
	r.cmds = append(r.cmds, line)
	switch {
	case line == r.fail:
		return errFake
	case name == "id" && !r.userExists:
		return errors.New("id: 'conclave': no such user")
	case name == "useradd":
		r.userExists = true
	}
	return nil
}

// newRoot returns a temporary system root where systemd "runs".
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, systemdMarker), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// newBinary writes a stand-in for the conclave executable.
func newBinary(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "conclave")
	if err := os.WriteFile(p, []byte(content), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func newOptions(t *testing.T, root string, rec *recorder, out *bytes.Buffer) Options {
	t.Helper()
	return Options{Root: root, Binary: newBinary(t, "conclave v1"), Run: rec.run, Stdout: out}
}

// parseUnit returns the unit's key=value lines as "Section.Key" -> values.
func parseUnit(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	keys := make(map[string][]string)
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("unit line without '=': %q", line)
			}
			keys[section+"."+k] = append(keys[section+"."+k], v)
		}
	}
	return keys
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode: got %v, want %v", path, got, want)
	}
}

func TestInstallFresh(t *testing.T) {
	root, rec, out := newRoot(t), &recorder{}, &bytes.Buffer{}
	o := newOptions(t, root, rec, out)
	o.Domain = []string{"Meet.Example.org"}
	if err := Install(t.Context(), o); err != nil {
		t.Fatalf("install: %v", err)
	}
	want := []string{
		"id conclave",
		"useradd --system --home-dir /var/lib/conclave --shell /usr/sbin/nologin conclave",
		"chown -R conclave: " + filepath.Join(root, dataDir),
		"systemctl daemon-reload",
		"systemctl enable --now conclave",
	}
	if !slices.Equal(rec.cmds, want) {
		t.Errorf("commands:\ngot  %q\nwant %q", rec.cmds, want)
	}
	if got := string(readFile(t, filepath.Join(root, binaryPath))); got != "conclave v1" {
		t.Errorf("binary content: got %q, want %q", got, "conclave v1")
	}
	checkMode(t, filepath.Join(root, binaryPath), 0o755)
	checkMode(t, filepath.Join(root, unitPath), 0o644)
	checkMode(t, filepath.Join(root, dataDir), 0o700)
	unit := parseUnit(t, readFile(t, filepath.Join(root, unitPath)))
	wantExec := "/usr/local/bin/conclave serve --data /var/lib/conclave --https :443 --http :80 --domain meet.example.org"
	if got := unit["Service.ExecStart"]; !slices.Equal(got, []string{wantExec}) {
		t.Errorf("ExecStart: got %q, want %q", got, wantExec)
	}
	for _, s := range []string{"https://meet.example.org/", "/var/lib/conclave", "journalctl -u conclave -f"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output does not mention %q:\n%s", s, out)
		}
	}
}

func TestUnitHardening(t *testing.T) {
	data, err := renderUnit([]string{"a.example", "b.example"}, []string{"--public-ip=203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	unit := parseUnit(t, data)
	tests := []struct{ key, want string }{
		{"Unit.After", "network-online.target"},
		{"Unit.Wants", "network-online.target"},
		{"Service.ExecStart", "/usr/local/bin/conclave serve --data /var/lib/conclave --https :443 --http :80" +
			" --domain a.example --domain b.example --public-ip=203.0.113.7"},
		{"Service.User", "conclave"},
		{"Service.AmbientCapabilities", "CAP_NET_BIND_SERVICE"},
		{"Service.CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"},
		{"Service.NoNewPrivileges", "yes"},
		{"Service.ProtectSystem", "strict"},
		{"Service.ProtectHome", "yes"},
		{"Service.PrivateTmp", "yes"},
		{"Service.PrivateDevices", "yes"},
		{"Service.ProtectKernelTunables", "yes"},
		{"Service.ProtectKernelModules", "yes"},
		{"Service.ProtectControlGroups", "yes"},
		{"Service.RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
		{"Service.RestrictNamespaces", "yes"},
		{"Service.LockPersonality", "yes"},
		{"Service.MemoryDenyWriteExecute", "yes"},
		{"Service.SystemCallArchitectures", "native"},
		{"Service.ReadWritePaths", "/var/lib/conclave"},
		{"Service.StateDirectory", "conclave"},
		{"Service.StateDirectoryMode", "0700"},
		{"Service.Restart", "on-failure"},
		{"Service.RestartSec", "2"},
		{"Service.LimitNOFILE", "65536"},
		{"Service.TimeoutStopSec", "15"},
		{"Service.KillSignal", "SIGTERM"},
		{"Install.WantedBy", "multi-user.target"},
	}
	for _, tt := range tests {
		if got := unit[tt.key]; !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%s: got %q, want exactly one %q", tt.key, got, tt.want)
		}
	}
}

func TestInstallWithoutDomain(t *testing.T) {
	root, rec, out := newRoot(t), &recorder{}, &bytes.Buffer{}
	if err := Install(t.Context(), newOptions(t, root, rec, out)); err != nil {
		t.Fatalf("install: %v", err)
	}
	unit := parseUnit(t, readFile(t, filepath.Join(root, unitPath)))
	want := "/usr/local/bin/conclave serve --data /var/lib/conclave --https :443 --http :80"
	if got := unit["Service.ExecStart"]; !slices.Equal(got, []string{want}) {
		t.Errorf("ExecStart: got %q, want %q", got, want)
	}
	for _, s := range []string{"Open https://", "/ca.crt", "journalctl -u conclave -f"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output does not mention %q:\n%s", s, out)
		}
	}
}

func TestInstallTwiceUpgrades(t *testing.T) {
	root, rec, out := newRoot(t), &recorder{}, &bytes.Buffer{}
	o := newOptions(t, root, rec, out)
	if err := Install(t.Context(), o); err != nil {
		t.Fatalf("first install: %v", err)
	}
	rec.cmds = nil
	o.Binary = newBinary(t, "conclave v2")
	o.Domain = []string{"meet.example.org"}
	if err := Install(t.Context(), o); err != nil {
		t.Fatalf("second install: %v", err)
	}
	want := []string{
		"id conclave",
		"chown -R conclave: " + filepath.Join(root, dataDir),
		"systemctl daemon-reload",
		"systemctl enable --now conclave",
		"systemctl restart conclave",
	}
	if !slices.Equal(rec.cmds, want) {
		t.Errorf("commands:\ngot  %q\nwant %q", rec.cmds, want)
	}
	if got := string(readFile(t, filepath.Join(root, binaryPath))); got != "conclave v2" {
		t.Errorf("binary content: got %q, want the upgrade", got)
	}
	if !bytes.Contains(readFile(t, filepath.Join(root, unitPath)), []byte("--domain meet.example.org")) {
		t.Error("unit was not rewritten with the new domain")
	}
	for _, dir := range []string{filepath.Dir(binaryPath), filepath.Dir(unitPath)} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("%s: got %d entries, want 1 (no temporary files left)", dir, len(entries))
		}
	}
}

func TestUninstallKeepsData(t *testing.T) {
	root, rec, out := newRoot(t), &recorder{}, &bytes.Buffer{}
	o := newOptions(t, root, rec, out)
	if err := Install(t.Context(), o); err != nil {
		t.Fatalf("install: %v", err)
	}
	db := filepath.Join(root, dataDir, "conclave.db")
	if err := os.WriteFile(db, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec.cmds = nil
	out.Reset()
	if err := Uninstall(t.Context(), o); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	want := []string{"systemctl disable --now conclave", "systemctl daemon-reload"}
	if !slices.Equal(rec.cmds, want) {
		t.Errorf("commands: got %q, want %q", rec.cmds, want)
	}
	for _, p := range []string{binaryPath, unitPath} {
		if _, err := os.Stat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: got %v, want it removed", p, err)
		}
	}
	if got := string(readFile(t, db)); got != "data" {
		t.Errorf("data: got %q, want it kept", got)
	}
	if !strings.Contains(out.String(), "Kept the data in /var/lib/conclave") {
		t.Errorf("output does not say the data is kept:\n%s", out)
	}

	// A second uninstall finds nothing to stop and still succeeds.
	rec.cmds = nil
	if err := Uninstall(t.Context(), o); err != nil {
		t.Fatalf("second uninstall: %v", err)
	}
	if want := []string{"systemctl daemon-reload"}; !slices.Equal(rec.cmds, want) {
		t.Errorf("second uninstall commands: got %q, want %q", rec.cmds, want)
	}
}
