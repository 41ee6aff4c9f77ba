package install

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"text/template"
)

// unitTemplate is the systemd unit. It is text/template, which escapes
// nothing: every value that reaches it has passed validDomain or validArg.
//
//go:embed conclave.service.tmpl
var unitTemplate string

// unitData fills unitTemplate.
type unitData struct {
	User      string
	DataDir   string
	ExecStart string
}

// renderUnit returns the unit file for the given serve flags.
func renderUnit(domains, extra []string) ([]byte, error) {
	tmpl, err := template.New("unit").Option("missingkey=error").Parse(unitTemplate)
	if err != nil {
		return nil, fmt.Errorf("parse unit template: %w", err)
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, unitData{User: serviceUser, DataDir: dataDir, ExecStart: execStart(domains, extra)})
	if err != nil {
		return nil, fmt.Errorf("render unit: %w", err)
	}
	return buf.Bytes(), nil
}

// execStart is the service's command line. Without --domain the server
// still listens on 443 and 80, and --tls auto picks the built-in CA.
func execStart(domains, extra []string) string {
	args := []string{binaryPath, "serve", "--data", dataDir, "--https", ":443", "--http", ":80"}
	for _, d := range domains {
		args = append(args, "--domain", strings.ToLower(d))
	}
	args = append(args, extra...)
	return strings.Join(args, " ")
}

// validateFlags checks every value that goes into ExecStart and reports
// all problems at once.
func validateFlags(domains, extra []string) error {
	var errs []error
	for _, d := range domains {
		if err := validDomain(d); err != nil {
			errs = append(errs, fmt.Errorf("%w: --domain %q: %w", ErrInvalidOption, d, err))
		}
	}
	for _, a := range extra {
		if err := validArg(a); err != nil {
			errs = append(errs, fmt.Errorf("%w: extra argument %q: %w", ErrInvalidOption, a, err))
		}
	}
	return errors.Join(errs...)
}

// validDomain accepts a DNS name (letters, digits, hyphens, dots; labels
// of 1 to 63 characters, 253 at most) or an IP address. Anything else,
// in particular white space, quotes, '%' and '$' that systemd would
// interpret, is refused.
func validDomain(d string) error {
	if ip, err := netip.ParseAddr(d); err == nil {
		if ip.Zone() != "" {
			return errors.New("an IPv6 zone is not allowed")
		}
		return nil
	}
	if d == "" || len(d) > 253 {
		return errors.New("must be 1 to 253 characters")
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 {
			return errors.New("each dot-separated label must be 1 to 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("a label cannot start or end with '-'")
		}
		for _, c := range label {
			if !isAlnum(c) && c != '-' {
				return fmt.Errorf("character %q is not allowed in a host name", c)
			}
		}
	}
	return nil
}

// validArg accepts a command-line word made only of characters that
// systemd's ExecStart parsing leaves alone: no white space (a new word or
// a new unit line), no quotes or backslashes (quoting), no '%' (specifiers),
// no '$' (environment expansion) and no ';' (command separator).
func validArg(a string) error {
	if a == "" {
		return errors.New("is empty")
	}
	for _, c := range a {
		if !isAlnum(c) && !strings.ContainsRune("-_.:/=,@+[]~", c) {
			return fmt.Errorf("character %q is not allowed", c)
		}
	}
	return nil
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
