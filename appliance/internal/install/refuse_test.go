package install

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallRejectsHostileValues(t *testing.T) {
	tests := []struct {
		name          string
		domain, extra []string
	}{
		{"newline injects a unit line", []string{"meet.example.org\nExecStartPre=/bin/sh -c id"}, nil},
		{"space", []string{"meet example.org"}, nil},
		{"double quote", []string{`meet"example.org`}, nil},
		{"single quote", []string{"meet'example.org"}, nil},
		{"specifier", []string{"%h.example.org"}, nil},
		{"variable", []string{"$HOST.example.org"}, nil},
		{"semicolon", []string{"a;b"}, nil},
		{"empty", []string{""}, nil},
		{"empty label", []string{"meet..example.org"}, nil},
		{"leading hyphen", []string{"-meet.example.org"}, nil},
		{"flag as domain", []string{"--tls=off"}, nil},
		{"wildcard", []string{"*.example.org"}, nil},
		{"long label", []string{strings.Repeat("a", 64) + ".example.org"}, nil},
		{"ipv6 zone", []string{"fe80::1%eth0"}, nil},
		{"extra arg with newline", nil, []string{"--public-ip=1.2.3.4\n[Service]\nUser=root"}},
		{"extra arg with space", nil, []string{"--acme-email=a b"}},
		{"extra arg with specifier", nil, []string{"--data=%h"}},
		{"extra arg with variable", nil, []string{"--data=${HOME}"}},
		{"extra arg with backslash", nil, []string{`--x=\n`}},
		{"extra arg empty", nil, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, rec := newRoot(t), &recorder{}
			o := newOptions(t, root, rec, &bytes.Buffer{})
			o.Domain, o.ExtraArgs = tt.domain, tt.extra
			err := Install(t.Context(), o)
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("got %v, want ErrInvalidOption", err)
			}
			if len(rec.cmds) != 0 {
				t.Errorf("commands ran: %q", rec.cmds)
			}
			if _, err := os.Stat(filepath.Join(root, unitPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("unit written despite the refusal: %v", err)
			}
		})
	}
}

func TestValidDomainAccepts(t *testing.T) {
	for _, d := range []string{"meet.example.org", "Meet.Example.ORG", "localhost", "xn--bcher-kva.example",
		"a-b.c", "192.168.1.10", "2001:db8::1", strings.Repeat("a", 63) + ".example"} {
		if err := validDomain(d); err != nil {
			t.Errorf("validDomain(%q): got %v, want nil", d, err)
		}
	}
	for _, a := range []string{"--public-ip=203.0.113.7", "--turn", "[::]:3478", "--acme-email=ops+x@example.org",
		"--acme-ca=https://ca.internal:9000/acme/dir"} {
		if err := validArg(a); err != nil {
			t.Errorf("validArg(%q): got %v, want nil", a, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		opts    func(t *testing.T) Options
		want    error
		message string
	}{
		{"not root on the real system", func(t *testing.T) Options {
			o := newOptions(t, "/", &recorder{}, &bytes.Buffer{})
			o.geteuid = func() int { return 1000 }
			return o
		}, ErrNotRoot, "conclave install must run as root (try: sudo"},
		{"no systemd", func(t *testing.T) Options {
			return newOptions(t, t.TempDir(), &recorder{}, &bytes.Buffer{})
		}, ErrNoSystemd, "needs systemd"},
		{"relative root", func(t *testing.T) Options {
			return newOptions(t, "root", &recorder{}, &bytes.Buffer{})
		}, ErrInvalidOption, "absolute"},
		{"missing binary", func(t *testing.T) Options {
			o := newOptions(t, newRoot(t), &recorder{}, &bytes.Buffer{})
			o.Binary = filepath.Join(t.TempDir(), "nothing")
			return o
		}, ErrInvalidOption, "not a file"},
		{"no runner", func(t *testing.T) Options {
			o := newOptions(t, newRoot(t), &recorder{}, &bytes.Buffer{})
			o.Run = nil
			return o
		}, ErrInvalidOption, "Run is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Install(t.Context(), tt.opts(t))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got %v, want %v saying %q", err, tt.want, tt.message)
			}
		})
	}
}

// TestNotRootForReal checks the refusal with the real euid, where it can.
func TestNotRootForReal(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: TestRefusals covers this with an injected euid")
	}
	rec := &recorder{}
	err := Uninstall(t.Context(), Options{Root: "/", Run: rec.run})
	if !errors.Is(err, ErrNotRoot) || !strings.Contains(err.Error(), "must run as root (try: sudo") {
		t.Errorf("got %v, want ErrNotRoot", err)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("commands ran: %q", rec.cmds)
	}
}

func TestInstallReportsFailedCommand(t *testing.T) {
	rec := &recorder{fail: "systemctl enable --now conclave"}
	err := Install(t.Context(), newOptions(t, newRoot(t), rec, &bytes.Buffer{}))
	if !errors.Is(err, errFake) || !strings.Contains(err.Error(), "systemctl enable --now conclave") {
		t.Errorf("got %v, want the failing command wrapped", err)
	}
}

// TestUnitPassesSystemdAnalyze has systemd parse the unit offline: no unknown
// key, no bad setting, and an exposure score of at most 4.0 (our unit: 3.4).
func TestUnitPassesSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found: apt-get install systemd")
	}
	root, rec := newRoot(t), &recorder{}
	o := newOptions(t, root, rec, &bytes.Buffer{})
	o.Domain = []string{"meet.example.org"}
	if err := Install(t.Context(), o); err != nil {
		t.Fatalf("install: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), analyze, "security", "--offline=true", "--threshold=40",
		"--root="+root, "conclave.service")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s\n%s", err, stdout, stderr.String())
	}
	if strings.Contains(stderr.String(), "conclave.service") {
		t.Errorf("systemd complains about the unit:\n%s", stderr.String())
	}
	if i := bytes.Index(stdout, []byte("Overall exposure")); i >= 0 {
		t.Logf("%s", bytes.TrimSpace(stdout[i:]))
	}
}

// FuzzRenderUnit checks that whatever passes validation changes only the
// ExecStart line: the unit keeps the same lines otherwise.
func FuzzRenderUnit(f *testing.F) {
	f.Add("meet.example.org", "--public-ip=203.0.113.7")
	f.Add("a\nUser=root", "x")
	f.Add("10.0.0.1", "--turn=[::]:3478")
	base, err := renderUnit(nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	baseLines := strings.Split(string(base), "\n")
	f.Fuzz(func(t *testing.T, domain, arg string) {
		if validateFlags([]string{domain}, []string{arg}) != nil {
			return
		}
		out, err := renderUnit([]string{domain}, []string{arg})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(out), "\n")
		if len(lines) != len(baseLines) {
			t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(baseLines), out)
		}
		for i := range lines {
			if lines[i] != baseLines[i] && !strings.HasPrefix(lines[i], "ExecStart=") {
				t.Errorf("line %d changed: %q", i+1, lines[i])
			}
		}
	})
}
