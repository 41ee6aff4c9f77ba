package appliance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Files in the data directory.
const (
	dbFile         = "conclave.db"
	lockFile       = "conclave.lock"
	setupTokenFile = "setup-token"
	pkiDir         = "pki"
	certsDir       = "certs"
)

// prepareDataDir creates dir with mode 0700 (or tightens an existing one)
// and proves it writable, so a bad --data fails at start, not at the first
// write hours later.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--data %s: %w", dir, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--data %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--data %s: not a directory", dir)
	}
	if info.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("--data %s: set mode 0700: %w", dir, err)
		}
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("--data %s: not writable: %w", dir, unwrapPathError(err))
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dataLock is an exclusive advisory lock on <data>/conclave.lock. Only
// `serve` takes it: two servers on one data dir would fight over the CA,
// certificates and ports, while the admin CLI only uses SQLite, which is
// safe beside a server. The kernel drops the lock if the process dies, so a
// crash never leaves a stale lock behind.
type dataLock struct{ f *os.File }

// ErrDataDirInUse means another `conclave serve` holds the data directory.
var ErrDataDirInUse = errors.New("appliance: data directory is in use by another conclave serve")

func lockDataDir(dir string) (*dataLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("--data %s: %w (stop it first, or use another --data)", dir, ErrDataDirInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The PID is for the operator who wonders which process holds it.
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return &dataLock{f: f}, nil
}

func (l *dataLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
