package appliance

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"conclave/appliance/internal/install"
)

func runInstall(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	var domains stringList
	fs.Var(&domains, "domain", "public name of this server (repeatable); gets a Let's Encrypt certificate")
	if err := parseOrHelp(fs, "conclave install [--domain NAME] [-- extra serve flags]", args, io); err != nil {
		return err
	}
	for _, d := range domains {
		if err := checkDomain(d); err != nil {
			return usageError{fmt.Errorf("--domain %q: %w", d, err)}
		}
	}
	opts, err := systemOptions(io)
	if err != nil {
		return err
	}
	opts.Domain = domains
	opts.ExtraArgs = fs.Args()
	return install.Install(ctx, opts)
}

func runUninstall(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("uninstall", flag.ContinueOnError)
	if err := parseOrHelp(fs, "conclave uninstall", args, io); err != nil {
		return err
	}
	opts, err := systemOptions(io)
	if err != nil {
		return err
	}
	return install.Uninstall(ctx, opts)
}

// systemOptions targets the real system: root "/", this executable, and
// commands run for real with their output shown.
func systemOptions(io Stdio) (install.Options, error) {
	exe, err := os.Executable()
	if err != nil {
		return install.Options{}, fmt.Errorf("find this executable: %w", err)
	}
	run := func(ctx context.Context, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout, cmd.Stderr = io.Stdout, io.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %v: %w", name, args, err)
		}
		return nil
	}
	return install.Options{Root: "/", Binary: exe, Run: run, Stdout: io.Stdout}, nil
}
