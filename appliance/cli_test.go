package appliance_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"conclave/appliance"
	"conclave/internal/testenv"
)

// runMain runs the conclave command in-process and returns its exit code,
// standard output and standard error.
func runMain(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	code := appliance.Main(ctx, args, appliance.Stdio{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// loopbackFlags are serve flags that bind only loopback with random ports.
func loopbackFlags(dataDir string) []string {
	return []string{"serve", "--data", dataDir, "--https", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--turn", "127.0.0.1:0", "--media-udp", "127.0.0.1:0", "--metrics", "off", "--tls", "internal"}
}

func TestBadInputFailsWithOneClearLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	corruptDir := t.TempDir()
	junk := bytes.Repeat([]byte("this is not sqlite "), 512)
	if err := os.WriteFile(filepath.Join(corruptDir, "conclave.db"), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"unknown flag", []string{"--bogus"}, 2, "unknown flag --bogus"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad values all at once", []string{"--https", "nope", "--log-format", "xml"}, 2, "--https:"},
		{"port in use", append(loopbackFlags(t.TempDir()), "--https", busy.Addr().String()), 1, "address already in use"},
		{"unwritable data dir", loopbackFlags(filepath.Join(notADir, "data")), 1, "--data"},
		{"corrupt database", loopbackFlags(corruptDir), 1, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, "", tt.args...)
			if code != tt.wantCode {
				t.Fatalf("got exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Fatalf("stderr %q does not contain %q", stderr, tt.want)
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(line, "conclave: ") {
					t.Errorf("stderr line %q is not a conclave: message (stack trace or usage dump?)", line)
				}
			}
		})
	}
	got, err := os.ReadFile(filepath.Join(corruptDir, "conclave.db"))
	if err != nil || !bytes.Equal(got, junk) {
		t.Fatalf("corrupt database file was changed (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(corruptDir, "pki")); err == nil {
		t.Error("a failed start still created pki/")
	}
}

func TestBadValuesAreAllReported(t *testing.T) {
	code, _, stderr := runMain(t, "", "--https", "nope", "--log-format", "xml", "--tls", "bogus")
	if code != 2 {
		t.Fatalf("got exit %d, want 2", code)
	}
	for _, want := range []string{"--https:", "--log-format:", "--tls"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr)
		}
	}
}

func TestSecondServeOnSameDataDirIsRefused(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	code, _, stderr := runMain(t, "", loopbackFlags(a.Config.DataDir)...)
	if code != 1 || !strings.Contains(stderr, "in use by another conclave serve") {
		t.Fatalf("got exit %d stderr %q, want 1 and a data-dir-in-use message", code, stderr)
	}
	// The first one is unharmed.
	resp, err := a.Client.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestHelpListsEveryFlagWithEnv(t *testing.T) {
	code, stdout, _ := runMain(t, "", "--help")
	if code != 0 {
		t.Fatalf("got exit %d, want 0", code)
	}
	for _, flag := range []string{"data", "https", "http", "domain", "tls", "acme-ca", "acme-ca-root", "acme-email",
		"tls-cert", "tls-key", "turn", "media-udp", "public-ip", "metrics", "log-format", "log-level"} {
		if !strings.Contains(stdout, "--"+flag+" ") && !strings.Contains(stdout, "--"+flag+"\n") {
			t.Errorf("--help does not list --%s", flag)
		}
		if !strings.Contains(stdout, appliance.EnvName(flag)) {
			t.Errorf("--help does not name %s", appliance.EnvName(flag))
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runMain(t, "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "conclave ") {
		t.Fatalf("got %d %q", code, stdout)
	}
}

func TestAdminCLIBesideRunningServer(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	dir := a.Config.DataDir
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runMain(t, "", "admin", "create-user", "--data", dir, "--role", "admin", "--username", "alice", "--password-file", pw)
	if code != 0 || !strings.Contains(out, `created admin "alice"`) {
		t.Fatalf("create-user: exit %d out %q err %q", code, out, stderr)
	}
	code, _, stderr = runMain(t, "", "admin", "create-user", "--data", dir, "--username", "alice", "--password-file", pw)
	if code == 0 || !strings.Contains(stderr, "alice") {
		t.Fatalf("duplicate create-user: exit %d err %q, want a failure naming alice", code, stderr)
	}
	code, out, stderr = runMain(t, "a much better password\n", "admin", "reset-password", "--data", dir, "--username", "alice", "--password-file", "-")
	if code != 0 {
		t.Fatalf("reset-password: exit %d out %q err %q", code, out, stderr)
	}
	code, out, stderr = runMain(t, "", "admin", "token", "create", "--data", dir, "--name", "ci")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "cnv_") {
		t.Fatalf("token create: exit %d out %q err %q, want the token as the last line", code, out, stderr)
	}
	token := lines[len(lines)-1]
	db, err := os.ReadFile(filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, "conclave.db-wal"))
	if bytes.Contains(db, []byte(token)) || bytes.Contains(wal, []byte(token)) {
		t.Fatal("the API token is stored in clear")
	}
	code, out, stderr = runMain(t, "", "admin", "turn", "rotate-secret", "--data", dir)
	if code != 0 || !strings.Contains(out, "TURN secret rotated") {
		t.Fatalf("turn rotate-secret: exit %d out %q err %q", code, out, stderr)
	}
	code, _, stderr = runMain(t, "", "admin", "create-user", "--data", dir)
	if code != 2 || !strings.Contains(stderr, "--password-file") || !strings.Contains(stderr, "--username") {
		t.Fatalf("missing flags: exit %d err %q, want 2 naming both", code, stderr)
	}
}
