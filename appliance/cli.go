package appliance

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes of the conclave command.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command line or configuration is wrong
)

// Stdio is the process's environment as the CLI sees it, so tests can run
// the whole command in-process.
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// OSStdio is the real process environment.
func OSStdio() Stdio {
	return Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// usageError marks errors that are the caller's fault (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

const mainUsage = `Conclave: private video meetings in one binary.

usage:
  conclave [serve] [flags]      run the server (conclave serve --help for flags)
  conclave admin create-user    add a user         (conclave admin --help)
  conclave admin reset-password set a user's password
  conclave admin token create   print a new API token
  conclave backup FILE          online backup of database, certificates and CA
  conclave restore FILE         restore a backup into an empty data directory
  conclave install              install as a systemd service (as root)
  conclave uninstall            remove the service, keep the data
  conclave loadtest             bots that measure a running server (conclave loadtest --help)
  conclave version              print the version
`

// Main runs the conclave command line and returns the process exit code.
// ctx is cancelled on SIGINT/SIGTERM.
func Main(ctx context.Context, args []string, io Stdio) int {
	if io.Getenv == nil {
		io.Getenv = func(string) string { return "" }
	}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, rest, io)
	case "admin":
		err = runAdmin(ctx, rest, io)
	case "backup":
		err = runBackup(ctx, rest, io)
	case "restore":
		err = runRestore(ctx, rest, io)
	case "install":
		err = runInstall(ctx, rest, io)
	case "uninstall":
		err = runUninstall(ctx, rest, io)
	case "version":
		fmt.Fprintf(io.Stdout, "conclave %s\n", Version())
	case "help", "-h", "--help":
		fmt.Fprint(io.Stdout, mainUsage)
	default:
		err = usageError{fmt.Errorf("unknown command %q (see conclave help)", cmd)}
	}
	return report(io.Stderr, err)
}

// report prints err one problem per line and maps it to an exit code.
func report(w io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if line != "" {
			fmt.Fprintf(w, "conclave: %s\n", line)
		}
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}

// parseOrHelp parses fs and prints the usage for --help.
func parseOrHelp(fs *flag.FlagSet, synopsis string, args []string, io Stdio) error {
	err := parseFlags(fs, args, io.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(io.Stdout, synopsis, fs)
		return err
	}
	if err != nil {
		return usageError{err}
	}
	return nil
}

func runServe(ctx context.Context, args []string, io Stdio) error {
	var cfg Config
	fs := serveFlags(&cfg)
	if err := parseOrHelp(fs, "conclave [serve] [flags]", args, io); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))}
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	logger := NewLogger(io.Stderr, cfg.LogFormat, cfg.LogLevel)
	a, err := New(ctx, cfg, logger, io.Stdout)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
