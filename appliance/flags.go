package appliance

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"conclave/appliance/internal/certs"
)

// envPrefix prefixes the environment variable of every flag: --acme-ca is
// also read from CONCLAVE_ACME_CA. A flag on the command line wins.
const envPrefix = "CONCLAVE_"

// stringList is a repeatable flag (--domain a --domain b). From the
// environment it takes a comma-separated list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// tlsModeFlag parses --tls into certs.Mode.
type tlsModeFlag struct{ m *certs.Mode }

func (f tlsModeFlag) String() string {
	if f.m == nil {
		return ""
	}
	return string(*f.m)
}

func (f tlsModeFlag) Set(v string) error {
	*f.m = certs.Mode(strings.ToLower(strings.TrimSpace(v)))
	return nil
}

// lastNFlag is --last-n: a count where 0 means none, stored in
// Config.LastN, where 0 means the default.
type lastNFlag struct{ n *int }

func (f lastNFlag) String() string {
	switch {
	case f.n == nil || *f.n == 0:
		return strconv.Itoa(defaultLastN)
	case *f.n < 0:
		return "0"
	}
	return strconv.Itoa(*f.n)
}

func (f lastNFlag) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > maxLastN {
		return fmt.Errorf("want a number from 0 (off) to %d", maxLastN)
	}
	if n == 0 {
		n = -1
	}
	*f.n = n
	return nil
}

// serveFlags binds the serve flags to cfg. Defaults shown by --help are the
// zero-config values; the --domain switch to 443/80 is explained in the usage.
func serveFlags(cfg *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", defaultDataDir, "data directory (database, certificates, CA, secrets)")
	fs.StringVar(&cfg.HTTPSAddr, "https", "", "TLS listen address: HTTPS, TURN over TLS, ICE-TCP (default :8443, or :443 with --domain)")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "plain HTTP listen address for ACME, /ca.crt and redirects, or off (default :8080, or :80 with --domain)")
	fs.Var((*stringList)(&cfg.Domains), "domain", "public or LAN name of this server (repeatable)")
	cfg.TLSMode = certs.ModeAuto
	fs.Var(tlsModeFlag{&cfg.TLSMode}, "tls", "TLS mode: auto, acme, internal, files or off (default auto: acme for a public --domain, else internal)")
	fs.StringVar(&cfg.ACMECA, "acme-ca", "", "ACME directory URL (default Let's Encrypt)")
	fs.StringVar(&cfg.ACMECARoot, "acme-ca-root", "", "PEM file with the root of the ACME server's own HTTPS certificate")
	fs.StringVar(&cfg.ACMEEmail, "acme-email", "", "contact e-mail for the ACME account")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "certificate chain PEM file (with --tls files)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key PEM file (with --tls files)")
	fs.StringVar(&cfg.TURNAddr, "turn", defaultTURNAddr, "TURN/STUN listen address, UDP and TCP")
	fs.StringVar(&cfg.MediaUDPAddr, "media-udp", defaultMediaUDPAddr, "UDP address shared by all media (ICE UDP mux)")
	fs.StringVar(&cfg.PublicIP, "public-ip", "", "public IP of a 1:1 NAT in front of this server")
	fs.StringVar(&cfg.MetricsAddr, "metrics", defaultMetricsAddr, "Prometheus /metrics listen address, or off")
	fs.Var(lastNFlag{&cfg.LastN}, "last-n", "cameras of the latest speakers that keep flowing (smallest size) while off screen, so a speaker view switches at once; 0 turns it off")
	fs.StringVar(&cfg.LogFormat, "log-format", logFormatText, "log format: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	return fs
}

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its CONCLAVE_* environment variable. Errors are one line
// each and name the flag or variable.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%s (see --help)", flagErrorText(err))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := EnvName(f.Name)
		v := getenv(env)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
		}
	})
	return errors.Join(errs...)
}

// EnvName is the environment variable that also sets flag name:
// "acme-ca" → "CONCLAVE_ACME_CA".
func EnvName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// flagErrorText turns the flag package's messages into ours:
// "flag provided but not defined: -x" → "unknown flag --x".
func flagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return msg
}

// printUsage writes the help for one subcommand: a synopsis and every flag
// with its default and environment variable.
func printUsage(w io.Writer, synopsis string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\nflags (each also read from CONCLAVE_<NAME>):\n", synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if f.DefValue != "" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, " [%s]\n", EnvName(f.Name))
	})
}
