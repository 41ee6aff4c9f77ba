package install

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// copyFile copies src to dst atomically (see writeAtomic).
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	return writeAtomic(dst, mode, in)
}

// writeFile writes data to dst atomically (see writeAtomic).
func writeFile(dst string, data []byte, mode os.FileMode) error {
	return writeAtomic(dst, mode, bytes.NewReader(data))
}

// writeAtomic writes r to a temporary file next to dst and renames it over
// dst, so that a reader (systemd, or exec of the running service's binary)
// sees the old file or the new one, never half of one. Renaming over a
// running executable is safe: the old inode lives until the process exits.
func writeAtomic(dst string, mode os.FileMode, r io.Reader) (err error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes the file 0600 whatever the umask; set the final mode.
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("rename to %s: %w", dst, err)
	}
	return nil
}
