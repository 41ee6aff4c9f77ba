package certs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestResolveMode(t *testing.T) {
	tests := []struct {
		name    string
		mode    Mode
		domains []string
		want    Mode
	}{
		{"zero value, no domain", "", nil, ModeInternal},
		{"auto, no domain", ModeAuto, nil, ModeInternal},
		{"auto, public domain", ModeAuto, []string{"meet.example.org"}, ModeACME},
		{"zero value, public domain", "", []string{"meet.example.org"}, ModeACME},
		{"auto, public among private", ModeAuto, []string{"box.lan", "Meet.Example.ORG."}, ModeACME},
		{"auto, IP", ModeAuto, []string{"203.0.113.7"}, ModeInternal},
		{"auto, IPv6 in brackets", ModeAuto, []string{"[2001:db8::1]"}, ModeInternal},
		{"auto, localhost", ModeAuto, []string{"localhost"}, ModeInternal},
		{"auto, no dot", ModeAuto, []string{"intranet"}, ModeInternal},
		{"auto, .local", ModeAuto, []string{"box.local"}, ModeInternal},
		{"auto, .lan", ModeAuto, []string{"box.lan"}, ModeInternal},
		{"auto, .home.arpa", ModeAuto, []string{"box.home.arpa"}, ModeInternal},
		{"auto, home.arpa itself", ModeAuto, []string{"home.arpa"}, ModeInternal},
		{"auto, .internal", ModeAuto, []string{"meet.corp.internal"}, ModeInternal},
		{"auto, .test", ModeAuto, []string{"meet.test"}, ModeInternal},
		{"auto, .example", ModeAuto, []string{"meet.example"}, ModeInternal},
		{"auto, .invalid", ModeAuto, []string{"x.invalid"}, ModeInternal},
		{"auto, .localhost", ModeAuto, []string{"app.localhost"}, ModeInternal},
		{"auto, wildcard", ModeAuto, []string{"*.example.org"}, ModeInternal},
		{"auto, garbage", ModeAuto, []string{"exa mple.org"}, ModeInternal},
		{"explicit acme kept", ModeACME, []string{"box.lan"}, ModeACME},
		{"explicit internal kept", ModeInternal, []string{"meet.example.org"}, ModeInternal},
		{"files kept", ModeFiles, nil, ModeFiles},
		{"off kept", ModeOff, []string{"meet.example.org"}, ModeOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveMode(tt.mode, tt.domains); got != tt.want {
				t.Errorf("ResolveMode(%q, %q) = %q, want %q", tt.mode, tt.domains, got, tt.want)
			}
		})
	}
}

func TestACMEDomainsAndEffectiveMode(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantMode Mode
		want     []string
	}{
		{"auto keeps private names off Let's Encrypt", Config{Domains: []string{"box.lan", "meet.example.org"}}, ModeACME, []string{"meet.example.org"}},
		{"auto with a private ACME CA takes every name", Config{Domains: []string{"meet.corp.lan", "10.0.0.5"}, ACMECA: "https://step.corp.lan/acme/acme/directory"}, ModeACME, []string{"meet.corp.lan"}},
		{"explicit acme takes every name", Config{Mode: ModeACME, Domains: []string{"box.lan"}}, ModeACME, []string{"box.lan"}},
		{"internal has none", Config{Mode: ModeInternal, Domains: []string{"meet.example.org"}}, ModeInternal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.effectiveMode(); got != tt.wantMode {
				t.Errorf("mode %q, want %q", got, tt.wantMode)
			}
			if got := tt.cfg.acmeDomains(); !slices.Equal(got, tt.want) {
				t.Errorf("acme domains %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c, k := selfSigned(t, 1)
	replaceFile(t, certFile, c)
	replaceFile(t, keyFile, k)
	missing := filepath.Join(dir, "missing.pem")

	type problem struct {
		flag string
		is   error
	}
	tests := []struct {
		name string
		cfg  Config
		want []problem
	}{
		{"zero config is valid", Config{DataDir: dir}, nil},
		{"off needs nothing", Config{Mode: ModeOff}, nil},
		{"files mode", Config{Mode: ModeFiles, CertFile: certFile, KeyFile: keyFile}, nil},
		{"acme with everything", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"meet.example.org"},
			ACMECA: "https://ca.example.org/dir", ACMECARoot: certFile, ACMEEmail: "ops@example.org"}, nil},
		{"unknown mode", Config{DataDir: dir, Mode: "letsencrypt"}, []problem{{"--tls", ErrUnknownMode}}},
		{"no data dir", Config{}, []problem{{"--data", ErrMissing}}},
		{"files mode without files", Config{Mode: ModeFiles},
			[]problem{{"--tls-cert", ErrMissing}, {"--tls-key", ErrMissing}}},
		{"files that do not load", Config{Mode: ModeFiles, CertFile: garbage, KeyFile: keyFile},
			[]problem{{"--tls-cert", nil}}},
		{"acme with no domain", Config{DataDir: dir, Mode: ModeACME}, []problem{{"--domain", ErrMissing}}},
		{"acme with an IP domain", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"192.0.2.1"}},
			[]problem{{"--domain", ErrBadName}, {"--domain", ErrMissing}}},
		{"bad ACME URL", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"meet.example.org"}, ACMECA: "http://ca.example.org/dir"},
			[]problem{{"--acme-ca", ErrBadURL}}},
		{"unreadable ACME root", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"meet.example.org"}, ACMECARoot: missing},
			[]problem{{"--acme-ca-root", os.ErrNotExist}}},
		{"ACME root without certificate", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"meet.example.org"}, ACMECARoot: garbage},
			[]problem{{"--acme-ca-root", ErrNoCertificates}}},
		{"bad e-mail", Config{DataDir: dir, Mode: ModeACME, Domains: []string{"meet.example.org"}, ACMEEmail: "ops"},
			[]problem{{"--acme-email", ErrBadName}}},
		{"wildcard domain", Config{DataDir: dir, Domains: []string{"*.example.org"}}, []problem{{"--domain", ErrBadName}}},
		{"cert files outside files mode", Config{DataDir: dir, CertFile: certFile, KeyFile: keyFile},
			[]problem{{"--tls-cert", ErrUnused}, {"--tls-key", ErrUnused}}},
		{"ACME flags outside acme mode", Config{DataDir: dir, Mode: ModeInternal, ACMECA: "https://ca.example.org/dir", ACMEEmail: "ops@example.org"},
			[]problem{{"--acme-ca", ErrUnused}, {"--acme-email", ErrUnused}}},
		{"everything wrong at once", Config{Mode: ModeACME, Domains: []string{"bad name", "192.0.2.1"},
			ACMECA: "ftp://x", ACMECARoot: missing, ACMEEmail: "@", CertFile: certFile},
			[]problem{{"--domain", ErrBadName}, {"--domain", ErrBadName}, {"--data", ErrMissing}, {"--domain", ErrMissing},
				{"--acme-ca", ErrBadURL}, {"--acme-ca-root", os.ErrNotExist}, {"--acme-email", ErrBadName}, {"--tls-cert", ErrUnused}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var wantFlags []string
			for _, p := range tt.want {
				wantFlags = append(wantFlags, p.flag)
			}
			if got := flagsOf(err); !slices.Equal(got, wantFlags) {
				t.Fatalf("Validate() flags %q, want %q; error:\n%v", got, wantFlags, err)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			problems := err.(interface{ Unwrap() []error })
			for i, p := range tt.want {
				if p.is != nil && !errors.Is(problems.Unwrap()[i], p.is) {
					t.Errorf("problem %d %q: want errors.Is %v", i, problems.Unwrap()[i], p.is)
				}
			}
		})
	}
}

func TestInternalNames(t *testing.T) {
	cfg := Config{
		Domains: []string{"Meet.Example.ORG.", "10.0.0.5"},
		Hosts:   []string{"127.0.0.1", "::1", "[::1]", "::ffff:192.0.2.1", "myhost", "fe80::1%eth0", "bad name", "0.0.0.0", "localhost"},
	}
	names, skipped := cfg.internalNames()
	want := []string{"localhost", "meet.example.org", "10.0.0.5", "127.0.0.1", "::1", "192.0.2.1", "myhost"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if wantSkipped := []string{"fe80::1%eth0", "bad name", "0.0.0.0"}; !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped %q, want %q", skipped, wantSkipped)
	}
	if got := cfg.defaultName(names); got != "meet.example.org" {
		t.Errorf("default name %q, want the first domain", got)
	}
	if got := (Config{}).defaultName([]string{"localhost", "127.0.0.1", "myhost"}); got != "myhost" {
		t.Errorf("default name %q without domains, want the host name", got)
	}
}
