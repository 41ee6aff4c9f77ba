package appliance

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"conclave/admin"
)

// maxRestoreBytes bounds what one archive may unpack to, so a hostile or
// corrupt file cannot fill the disk.
const maxRestoreBytes = 16 << 30

func runRestore(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "data directory to restore into")
	force := fs.Bool("force", false, "restore over an existing database, moving the old files aside")
	if err := parseOrHelp(fs, "conclave restore [--data DIR] [--force] FILE", args, io); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("restore: want exactly one FILE")}
	}
	aside, err := Restore(ctx, fs.Arg(0), *dataDir, *force)
	if err != nil {
		return err
	}
	if aside != "" {
		fmt.Fprintf(io.Stdout, "previous files moved to %s\n", aside)
	}
	fmt.Fprintf(io.Stdout, "restored %s into %s; start conclave with --data %s\n", fs.Arg(0), *dataDir, *dataDir)
	return nil
}

// Restore unpacks a backup into dataDir. The server must be stopped (the
// data directory lock is taken). Without force an existing database is never
// touched; with force the old database and certificate folders are moved
// into a pre-restore folder whose path is returned. The restored database is
// opened (and migrated) before Restore reports success.
func Restore(ctx context.Context, archive, dataDir string, force bool) (aside string, err error) {
	if err := prepareDataDir(dataDir); err != nil {
		return "", err
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return "", err
	}
	defer lock.release()
	if !force {
		// A WAL left beside a restored database would be replayed into it.
		for _, name := range []string{dbFile, dbFile + "-wal", dbFile + "-shm"} {
			if _, err := os.Lstat(filepath.Join(dataDir, name)); err == nil {
				return "", fmt.Errorf("restore: %s already has %s; use --force to move it aside", dataDir, name)
			}
		}
	}

	staging, err := os.MkdirTemp(dataDir, ".restore-*")
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(staging)
	if err := extract(archive, staging); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(staging, dbFile)); err != nil {
		return "", fmt.Errorf("restore: %s holds no %s: not a conclave backup", archive, dbFile)
	}
	if force {
		if aside, err = moveAside(dataDir); err != nil {
			return "", err
		}
	}
	for _, name := range []string{dbFile, certsDir, pkiDir} {
		src := filepath.Join(staging, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := os.Rename(src, filepath.Join(dataDir, name)); err != nil {
			return aside, fmt.Errorf("restore: %w", err)
		}
	}
	s, err := admin.OpenStore(ctx, filepath.Join(dataDir, dbFile))
	if err != nil {
		return aside, fmt.Errorf("restore: the restored database does not open: %w", err)
	}
	if err := s.Close(); err != nil {
		return aside, fmt.Errorf("restore: %w", err)
	}
	return aside, chownLikeDir(dataDir, []string{dbFile, dbFile + "-wal", dbFile + "-shm", certsDir, pkiDir})
}

// chownLikeDir gives the restored files the owner of the data directory:
// restore runs as root, the service as the conclave user (conclave install),
// which could not open root's 0600 files.
func chownLikeDir(dataDir string, names []string) error {
	info, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return nil
	}
	for _, name := range names {
		root := filepath.Join(dataDir, name)
		if _, err := os.Lstat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, int(st.Uid), int(st.Gid))
		})
		if err != nil {
			return fmt.Errorf("restore: give %s to the data directory's owner: %w", name, err)
		}
	}
	return nil
}

// moveAside moves the current database (with its WAL files) and certificate
// folders into dataDir/pre-restore-TIMESTAMP.
func moveAside(dataDir string) (string, error) {
	aside := filepath.Join(dataDir, "pre-restore-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(aside, 0o700); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	for _, name := range []string{dbFile, dbFile + "-wal", dbFile + "-shm", certsDir, pkiDir} {
		src := filepath.Join(dataDir, name)
		if _, err := os.Lstat(src); err != nil {
			continue
		}
		if err := os.Rename(src, filepath.Join(aside, name)); err != nil {
			return aside, fmt.Errorf("restore: move %s aside: %w", name, err)
		}
	}
	return aside, nil
}

// extract unpacks the allowed entries of a backup archive into dir. Only
// regular files and folders are written, each checked by allowedInBackup.
func extract(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("restore: %s is not a conclave backup (gzip): %w", archive, err)
	}
	tr := tar.NewReader(gz)
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("restore: read %s: %w", archive, err)
		}
		if !allowedInBackup(hdr.Name) {
			return fmt.Errorf("restore: unexpected entry %q in %s", hdr.Name, archive)
		}
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
		case tar.TypeReg:
			total += hdr.Size
			if total > maxRestoreBytes {
				return fmt.Errorf("restore: %s unpacks to more than %d bytes", archive, int64(maxRestoreBytes))
			}
			if err := writeEntry(target, tr, hdr.Size); err != nil {
				return err
			}
		default:
			return fmt.Errorf("restore: entry %q is not a regular file or folder", hdr.Name)
		}
	}
}

func writeEntry(target string, r io.Reader, size int64) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := io.CopyN(out, r, size); err != nil {
		out.Close()
		return fmt.Errorf("restore %s: %w", target, err)
	}
	return out.Close()
}
