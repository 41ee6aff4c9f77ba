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
	"strings"

	"conclave/admin"
)

// A backup is a gzipped tar with the same layout as the data directory:
// conclave.db (a consistent VACUUM INTO copy taken online), certs/ and pki/.
// Restoring by hand is therefore just extracting it into an empty data dir.

// backupDirs are the data-dir folders a backup carries besides the database.
func backupDirs() []string { return []string{certsDir, pkiDir} }

func runBackup(ctx context.Context, args []string, io Stdio) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dataDir := fs.String("data", defaultDataDir, "data directory to back up")
	if err := parseOrHelp(fs, "conclave backup [--data DIR] FILE", args, io); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("backup: want exactly one FILE (e.g. conclave-backup.tar.gz)")}
	}
	dst := fs.Arg(0)
	if err := Backup(ctx, *dataDir, dst, io.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "backup written to %s (it holds the CA key and password hashes: keep it private)\n", dst)
	return nil
}

// Backup writes a consistent copy of dataDir to dst while a server may be
// running. dst must not exist; it is created with mode 0600 and appears only
// when complete. Progress lines go to progress.
func Backup(ctx context.Context, dataDir, dst string, progress io.Writer) error {
	if _, err := os.Stat(filepath.Join(dataDir, dbFile)); err != nil {
		return fmt.Errorf("backup: no database in --data %s: %w", dataDir, unwrapPathError(err))
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", dst)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(dst), ".conclave-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmpDir)

	fmt.Fprintln(progress, "backup: copying database…")
	dbCopy := filepath.Join(tmpDir, dbFile)
	if err := withStore(ctx, dataDir, func(s *admin.Store) error { return s.BackupTo(ctx, dbCopy) }); err != nil {
		return fmt.Errorf("backup database: %w", err)
	}
	tmpArchive := filepath.Join(tmpDir, "backup.tar.gz")
	if err := writeArchive(tmpArchive, dbCopy, dataDir, progress); err != nil {
		return err
	}
	// A hard link, unlike a rename, fails if dst appeared meanwhile (two
	// cron runs), so nothing is ever overwritten.
	if err := os.Link(tmpArchive, dst); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// writeArchive tars the database copy and the certificate folders.
func writeArchive(path, dbCopy, dataDir string, progress io.Writer) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("backup: %w", cerr)
		}
	}()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	if err := addFile(tw, dbCopy, dbFile); err != nil {
		return err
	}
	for _, dir := range backupDirs() {
		fmt.Fprintf(progress, "backup: adding %s/…\n", dir)
		if err := addTree(tw, dataDir, dir); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return f.Sync()
}

// addTree adds dataDir/dir recursively, skipping certmagic's lock files,
// which belong to the running process only.
func addTree(tw *tar.Writer, dataDir, dir string) error {
	root := filepath.Join(dataDir, dir)
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("backup %s: %w", path, err)
		}
		rel, err := filepath.Rel(dataDir, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == "locks" {
				return filepath.SkipDir
			}
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o700})
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return addFile(tw, path, name)
	})
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(info.Mode().Perm()), Size: info.Size(),
		ModTime: info.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup %s: %w", name, err)
	}
	// CopyN: a file the running server rewrites meanwhile must not make the
	// entry longer than its header says.
	if _, err := io.CopyN(tw, f, info.Size()); err != nil {
		return fmt.Errorf("backup %s: %w", name, err)
	}
	return nil
}

// allowedInBackup reports whether an archive entry name is one a backup
// holds, so a crafted archive cannot write outside the data directory.
func allowedInBackup(name string) bool {
	if name == dbFile {
		return true
	}
	clean := filepath.ToSlash(filepath.Clean(name))
	if clean != strings.TrimSuffix(name, "/") || strings.HasPrefix(clean, "/") || strings.Contains(clean, "..") {
		return false
	}
	for _, dir := range backupDirs() {
		if clean == dir || strings.HasPrefix(clean, dir+"/") {
			return true
		}
	}
	return false
}
