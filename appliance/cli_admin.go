package appliance

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"conclave/admin"
)

const adminUsage = `usage:
  conclave admin create-user --username U --role admin|moderator|member --password-file F [--data DIR]
  conclave admin reset-password --username U --password-file F [--data DIR]
  conclave admin token create --name N [--ttl DURATION] [--data DIR]
  conclave admin turn rotate-secret [--data DIR]

These work offline on the data directory, also while the server runs.
--password-file - reads the password from standard input.
`

// runAdmin dispatches the offline admin commands. They open the database
// directly, without the data directory lock: SQLite is safe beside a
// running server, and an operator locked out of the panel needs this most
// while it runs.
func runAdmin(ctx context.Context, args []string, io Stdio) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(io.Stdout, adminUsage)
		if len(args) == 0 {
			return usageError{errors.New("admin: missing command")}
		}
		return nil
	}
	switch args[0] {
	case "create-user":
		return runCreateUser(ctx, args[1:], io)
	case "reset-password":
		return runResetPassword(ctx, args[1:], io)
	case "turn":
		if len(args) < 2 || args[1] != "rotate-secret" {
			return usageError{errors.New("admin turn: want `admin turn rotate-secret`")}
		}
		return runRotateTURNSecret(ctx, args[2:], io)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return usageError{errors.New("admin token: want `admin token create --name N`")}
		}
		return runTokenCreate(ctx, args[2:], io)
	}
	return usageError{fmt.Errorf("admin: unknown command %q (see conclave admin --help)", args[0])}
}

// userFlags are the flags shared by the commands that set a password.
type userFlags struct {
	dataDir, username, pwFile string
	role                      string
}

// parseUserFlags parses a user command's flags (withRole adds --role) and
// reads the password.
func parseUserFlags(name string, withRole bool, args []string, io Stdio) (userFlags, string, error) {
	var f userFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.dataDir, "data", defaultDataDir, "data directory")
	fs.StringVar(&f.username, "username", "", "user name")
	fs.StringVar(&f.pwFile, "password-file", "", "file holding the password, or - for standard input")
	if withRole {
		fs.StringVar(&f.role, "role", "member", "role: admin, moderator or member")
	}
	if err := parseOrHelp(fs, "conclave "+name+" [flags]", args, io); err != nil {
		return f, "", err
	}
	if err := requireFlags(map[string]string{"username": f.username, "password-file": f.pwFile}); err != nil {
		return f, "", err
	}
	password, err := readPassword(f.pwFile, io.Stdin)
	return f, password, err
}

func runCreateUser(ctx context.Context, args []string, io Stdio) error {
	f, password, err := parseUserFlags("admin create-user", true, args, io)
	if err != nil {
		return err
	}
	return withStore(ctx, f.dataDir, func(s *admin.Store) error {
		u, err := s.CreateUser(ctx, admin.NewUser{Username: f.username, Password: password, Role: f.role, Actor: admin.ActorCLI})
		if err != nil {
			return fmt.Errorf("create user %q: %w", f.username, err)
		}
		fmt.Fprintf(io.Stdout, "created %s %q\n", u.Role, u.Username)
		return nil
	})
}

func runResetPassword(ctx context.Context, args []string, io Stdio) error {
	f, password, err := parseUserFlags("admin reset-password", false, args, io)
	if err != nil {
		return err
	}
	return withStore(ctx, f.dataDir, func(s *admin.Store) error {
		if err := s.SetPassword(ctx, admin.ActorCLI, f.username, password); err != nil {
			return fmt.Errorf("reset password of %q: %w", f.username, err)
		}
		fmt.Fprintf(io.Stdout, "password of %q changed; their sessions are signed out\n", f.username)
		return nil
	})
}

func runTokenCreate(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("admin token create", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "data directory")
	name := fs.String("name", "", "what the token is for, e.g. the script that uses it")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h (default: no expiry)")
	if err := parseOrHelp(fs, "conclave admin token create [flags]", args, io); err != nil {
		return err
	}
	if err := requireFlags(map[string]string{"name": *name}); err != nil {
		return err
	}
	if *ttl < 0 {
		return usageError{errors.New("--ttl: must not be negative")}
	}
	return withStore(ctx, *dataDir, func(s *admin.Store) error {
		token, err := s.CreateAPIToken(ctx, admin.ActorCLI, *name, *ttl)
		if err != nil {
			return fmt.Errorf("create token %q: %w", *name, err)
		}
		expiry := "never expires"
		if *ttl > 0 {
			expiry = "expires " + time.Now().Add(*ttl).UTC().Format(time.RFC3339)
		}
		// The token is the last line, so scripts can take it with tail -n 1.
		fmt.Fprintf(io.Stdout, "API token %q (%s); it is shown only now:\n%s\n", *name, expiry, token)
		return nil
	})
}

func runRotateTURNSecret(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("admin turn rotate-secret", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "data directory")
	if err := parseOrHelp(fs, "conclave admin turn rotate-secret [--data DIR]", args, io); err != nil {
		return err
	}
	return withStore(ctx, *dataDir, func(s *admin.Store) error {
		if _, err := s.EnsureSecret(ctx, admin.SecretTURN); err != nil {
			return err
		}
		if err := s.RotateSecret(ctx, admin.ActorCLI, admin.SecretTURN); err != nil {
			return fmt.Errorf("rotate TURN secret: %w", err)
		}
		fmt.Fprintf(io.Stdout, "TURN secret rotated; a running server uses it within %s, and credentials "+
			"minted with the old one keep working for %s\n", turnSecretReload, turnSecretGrace)
		return nil
	})
}

// requireFlags names every missing required flag at once.
func requireFlags(flags map[string]string) error {
	var missing []string
	for name, v := range flags {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return usageError{fmt.Errorf("missing %s", strings.Join(missing, ", "))}
}

// readPassword reads a password file (or stdin for "-"), dropping the
// trailing newline an editor or echo adds.
func readPassword(path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", usageError{fmt.Errorf("--password-file %s: %w", path, unwrapPathError(err))}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// withStore opens the database of dataDir for one offline command.
func withStore(ctx context.Context, dataDir string, f func(*admin.Store) error) error {
	if err := prepareDataDir(dataDir); err != nil {
		return err
	}
	s, err := admin.OpenStore(ctx, filepath.Join(dataDir, dbFile))
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	ferr := f(s)
	return errors.Join(ferr, s.Close())
}
