package appliance

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"conclave/appliance/internal/certs"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name            string
		in              Config
		wantHTTPS, want string
	}{
		{"zero config is unprivileged", Config{}, ":8443", ":8080"},
		{"a domain switches to the standard ports", Config{Domains: []string{"meet.example.org"}}, ":443", ":80"},
		{"explicit ports win over the domain switch", Config{Domains: []string{"meet.example.org"}, HTTPSAddr: ":9443", HTTPAddr: "off"}, ":9443", "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			c.Defaults()
			if c.HTTPSAddr != tt.wantHTTPS || c.HTTPAddr != tt.want {
				t.Fatalf("got https %q http %q, want %q %q", c.HTTPSAddr, c.HTTPAddr, tt.wantHTTPS, tt.want)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("defaults do not validate: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemNamingItsFlag(t *testing.T) {
	c := Config{HTTPSAddr: "nope", TURNAddr: "1.2.3.4:99999", Domains: []string{"bad domain"},
		PublicIP: "10.0.0.x", LogFormat: "xml", LogLevel: "loud", MetricsAddr: "also-bad"}
	c.Defaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("got nil error for a config with seven problems")
	}
	for _, flagName := range []string{"--https", "--turn", "--domain", "--public-ip", "--log-format", "--log-level", "--metrics"} {
		if !strings.Contains(err.Error(), flagName+":") {
			t.Errorf("error does not name %s:\n%v", flagName, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n < 7 {
		t.Errorf("got %d lines, want one per problem (>= 7):\n%v", n, err)
	}
}

func TestValidateTLSOff(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"off on all interfaces is refused", Config{TLSMode: certs.ModeOff}, true},
		{"off on loopback is allowed", Config{TLSMode: certs.ModeOff, HTTPSAddr: "127.0.0.1:0", HTTPAddr: "off",
			TURNAddr: "127.0.0.1:0", MediaUDPAddr: "[::1]:0"}, false},
		{"one public listener is enough to refuse", Config{TLSMode: certs.ModeOff, HTTPSAddr: "127.0.0.1:0", HTTPAddr: "off",
			TURNAddr: ":3478", MediaUDPAddr: "127.0.0.1:0"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			c.Defaults()
			err := c.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("got err %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "--tls:") {
				t.Fatalf("error does not name --tls: %v", err)
			}
		})
	}
}

func TestCheckDomain(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"meet.example.org", true}, {"localhost", true}, {"box-1.lan", true}, {"192.168.1.2", true}, {"::1", true},
		{"", false}, {"-bad.example", false}, {"bad-.example", false}, {"a..b", false}, {"a b", false},
		{"x\nExecStart=/bin/sh", false}, {strings.Repeat("a", 64) + ".org", false}, {"ünïcode.org", false},
	}
	for _, tt := range tests {
		if err := checkDomain(tt.in); (err == nil) != tt.ok {
			t.Errorf("checkDomain(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestParseFlagsEnvAndPrecedence(t *testing.T) {
	env := map[string]string{
		"CONCLAVE_ACME_EMAIL": "ops@example.org",
		"CONCLAVE_DOMAIN":     "a.example.org, b.example.org",
		"CONCLAVE_HTTPS":      ":9999",
		"CONCLAVE_TLS":        "INTERNAL",
	}
	var cfg Config
	fs := serveFlags(&cfg)
	if err := parseFlags(fs, []string{"--https", "127.0.0.1:7443"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPSAddr != "127.0.0.1:7443" {
		t.Errorf("got https %q, want the command line to win over the environment", cfg.HTTPSAddr)
	}
	if cfg.ACMEEmail != "ops@example.org" || cfg.TLSMode != certs.ModeInternal {
		t.Errorf("got email %q tls %q, want both from the environment", cfg.ACMEEmail, cfg.TLSMode)
	}
	if strings.Join(cfg.Domains, " ") != "a.example.org b.example.org" {
		t.Errorf("got domains %q, want the comma-separated env list", cfg.Domains)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"--data"}, "flag --data needs a value"},
	}
	for _, tt := range tests {
		var cfg Config
		err := parseFlags(serveFlags(&cfg), tt.args, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("args %q: got %v, want one line containing %q", tt.args, err, tt.want)
		}
	}
	var cfg Config
	if err := parseFlags(serveFlags(&cfg), []string{"--help"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: got %v, want flag.ErrHelp", err)
	}
}

func TestLastNFlag(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want int // Config.LastN after Defaults
		err  bool
	}{
		{nil, "", defaultLastN, false},
		{[]string{"--last-n", "5"}, "", 5, false},
		{[]string{"--last-n", "0"}, "", -1, false},
		{nil, "0", -1, false},
		{[]string{"--last-n", "-2"}, "", 0, true},
		{[]string{"--last-n", "101"}, "", 0, true},
		{[]string{"--last-n", "many"}, "", 0, true},
	}
	for _, tt := range tests {
		var cfg Config
		err := parseFlags(serveFlags(&cfg), tt.args, func(k string) string {
			if k == "CONCLAVE_LAST_N" {
				return tt.env
			}
			return ""
		})
		if (err != nil) != tt.err {
			t.Errorf("args %q env %q: error %v, want error %v", tt.args, tt.env, err, tt.err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "last-n") {
				t.Errorf("args %q: error %v does not name the flag", tt.args, err)
			}
			continue
		}
		cfg.Defaults()
		if cfg.LastN != tt.want {
			t.Errorf("args %q env %q: LastN %d, want %d", tt.args, tt.env, cfg.LastN, tt.want)
		}
	}
	if err := (Config{LastN: -5}).Validate(); err == nil || !strings.Contains(err.Error(), "--last-n:") {
		t.Errorf("LastN -5: got %v, want a --last-n error", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("acme-ca-root"); got != "CONCLAVE_ACME_CA_ROOT" {
		t.Fatalf("got %q, want CONCLAVE_ACME_CA_ROOT", got)
	}
}
