// Package install puts the running conclave executable on a systemd host
// as a hardened service ("conclave install") and takes it off again
// ("conclave uninstall"), keeping the data.
//
// Files are written under Options.Root, so tests render a whole install
// into a temporary directory. The commands (useradd, chown, systemctl) go
// through Options.Run, which tests replace with a recorder; with the real
// runner they always act on the running system, so a Root other than "/"
// is only for tests.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The installed layout. These are paths on the target system; Options.Root
// is prefixed to them when files are written.
const (
	serviceName = "conclave"
	serviceUser = "conclave"
	binaryPath  = "/usr/local/bin/conclave"
	unitPath    = "/etc/systemd/system/conclave.service"
	dataDir     = "/var/lib/conclave"
	// systemdMarker exists when systemd is the running init (sd_booted(3)).
	systemdMarker = "/run/systemd/system"
)

// Options describes one install or uninstall.
type Options struct {
	// Root is the file-system root to install into: "/" in production, a
	// temporary directory in tests. It must be absolute.
	Root string
	// Binary is the path of the executable to copy, normally os.Executable().
	// Uninstall ignores it.
	Binary string
	// Domain lists the public names passed to "serve" as --domain. Empty
	// means no public name: the server uses its built-in CA.
	Domain []string
	// ExtraArgs are more "serve" flags, appended to the command line.
	ExtraArgs []string
	// Run runs a command (useradd, chown, systemctl) to completion and
	// returns an error when it fails. It is required.
	Run func(ctx context.Context, name string, args ...string) error
	// Stdout receives what Install and Uninstall tell the operator. Nil
	// means no output.
	Stdout io.Writer

	// geteuid replaces os.Geteuid in tests.
	geteuid func() int
}

// Install copies Options.Binary to /usr/local/bin/conclave, creates the
// conclave system user and /var/lib/conclave (0700), writes the unit
// /etc/systemd/system/conclave.service, and enables and starts it. Run again,
// it upgrades the binary and the unit and restarts the service.
func Install(ctx context.Context, o Options) error {
	if err := o.check("install"); err != nil {
		return err
	}
	if err := validateFlags(o.Domain, o.ExtraArgs); err != nil {
		return err
	}
	unit, err := renderUnit(o.Domain, o.ExtraArgs)
	if err != nil {
		return err
	}
	upgrade := exists(o.path(unitPath))
	if err := o.ensureUser(ctx); err != nil {
		return err
	}
	if err := o.ensureDataDir(ctx); err != nil {
		return err
	}
	if err := copyFile(o.Binary, o.path(binaryPath), 0o755); err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	o.say("Installed %s", binaryPath)
	if err := writeFile(o.path(unitPath), unit, 0o644); err != nil {
		return fmt.Errorf("write unit: %w", err)
	}
	o.say("Wrote %s", unitPath)
	if err := o.startService(ctx, upgrade); err != nil {
		return err
	}
	o.printNextSteps()
	return nil
}

// Uninstall stops and disables the service and removes the unit and the
// binary. It keeps /var/lib/conclave and the conclave user, and says so.
func Uninstall(ctx context.Context, o Options) error {
	if err := o.check("uninstall"); err != nil {
		return err
	}
	if exists(o.path(unitPath)) {
		if err := o.run(ctx, "systemctl", "disable", "--now", serviceName); err != nil {
			return fmt.Errorf("stop and disable the service: %w", err)
		}
		o.say("Stopped and disabled %s", serviceName)
	}
	for _, p := range []string{unitPath, binaryPath} {
		err := os.Remove(o.path(p))
		switch {
		case err == nil:
			o.say("Removed %s", p)
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	if err := o.run(ctx, "systemctl", "daemon-reload"); err != nil {
		return fmt.Errorf("reload systemd: %w", err)
	}
	o.say("\nKept the data in %s and the user %q.", dataDir, serviceUser)
	o.say("To delete them too: sudo rm -r %s && sudo userdel %s", dataDir, serviceUser)
	return nil
}

// check refuses options that are incomplete, or that target the real
// system without root or without systemd.
func (o *Options) check(verb string) error {
	if o.Root == "" || !filepath.IsAbs(o.Root) {
		return fmt.Errorf("%w: Root %q must be an absolute path", ErrInvalidOption, o.Root)
	}
	if o.Run == nil {
		return fmt.Errorf("%w: Run is nil", ErrInvalidOption)
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	geteuid := o.geteuid
	if geteuid == nil {
		geteuid = os.Geteuid
	}
	if filepath.Clean(o.Root) == "/" && geteuid() != 0 {
		return fmt.Errorf("conclave %s must run as root (try: sudo conclave %s): %w", verb, verb, ErrNotRoot)
	}
	if fi, err := os.Stat(o.path(systemdMarker)); err != nil || !fi.IsDir() {
		return fmt.Errorf("conclave %s needs systemd (%s is missing): %w", verb, systemdMarker, ErrNoSystemd)
	}
	if verb == "install" {
		if fi, err := os.Stat(o.Binary); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: Binary %q is not a file", ErrInvalidOption, o.Binary)
		}
	}
	return nil
}

// ensureUser creates the system user unless it exists.
func (o *Options) ensureUser(ctx context.Context) error {
	if o.Run(ctx, "id", serviceUser) == nil {
		return nil
	}
	err := o.run(ctx, "useradd", "--system", "--home-dir", dataDir, "--shell", "/usr/sbin/nologin", serviceUser)
	if err != nil {
		return fmt.Errorf("create user %s: %w", serviceUser, err)
	}
	o.say("Created system user %s", serviceUser)
	return nil
}

// ensureDataDir creates the data directory (0700) and gives it, and
// whatever a root-run "conclave admin" command left in it, to the user.
func (o *Options) ensureDataDir(ctx context.Context) error {
	dir := o.path(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data dir mode: %w", err)
	}
	// "user:" is the user and its login group, whatever that group is named.
	if err := o.run(ctx, "chown", "-R", serviceUser+":", dir); err != nil {
		return fmt.Errorf("give data dir to %s: %w", serviceUser, err)
	}
	o.say("Data directory %s (mode 0700, owner %s)", dataDir, serviceUser)
	return nil
}

// startService makes systemd load the unit and run it; an upgrade
// restarts the running service so that the new binary takes over.
func (o *Options) startService(ctx context.Context, upgrade bool) error {
	if err := o.run(ctx, "systemctl", "daemon-reload"); err != nil {
		return fmt.Errorf("reload systemd: %w", err)
	}
	if err := o.run(ctx, "systemctl", "enable", "--now", serviceName); err != nil {
		return fmt.Errorf("enable and start the service: %w", err)
	}
	if upgrade {
		if err := o.run(ctx, "systemctl", "restart", serviceName); err != nil {
			return fmt.Errorf("restart the service: %w", err)
		}
		o.say("Restarted %s with the new version", serviceName)
		return nil
	}
	o.say("Enabled and started %s", serviceName)
	return nil
}

// printNextSteps tells the operator where to go and where to look.
func (o *Options) printNextSteps() {
	o.say("")
	if len(o.Domain) > 0 {
		for _, d := range o.Domain {
			o.say("Open https://%s/", strings.ToLower(d))
		}
	} else {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "<this host>"
		}
		o.say("Open https://%s/ (or https://<this host's IP address>/)", host)
		o.say("Browsers warn until they trust this server's certificate authority:")
		o.say("install it on each device from http://%s/ca.crt", host)
	}
	o.say("Data lives in %s", dataDir)
	o.say("Logs, and on first start the one-time admin setup link: journalctl -u %s -f", serviceName)
}

// run runs a command through o.Run, naming it in the error.
func (o *Options) run(ctx context.Context, name string, args ...string) error {
	if err := o.Run(ctx, name, args...); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// path maps a path of the target system into Root.
func (o *Options) path(p string) string { return filepath.Join(o.Root, p) }

func (o *Options) say(format string, args ...any) {
	fmt.Fprintf(o.Stdout, format+"\n", args...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
