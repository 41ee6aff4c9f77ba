package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// trustRootOptions makes Chromium trust rootPEM as a certificate authority
// the way a person does who installed the root: Chromium on Linux reads
// user-added roots from the NSS database under $HOME/.pki/nssdb, so the
// browser gets a HOME of its own whose database holds the root, made with
// NSS's certutil (Debian's libnss3-tools). Without certutil the test is
// skipped, or failed when CONCLAVE_REQUIRE_BROWSER=1.
func trustRootOptions(t testing.TB, rootPEM []byte) []chromedp.ExecAllocatorOption {
	t.Helper()
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		msg := "certutil not found: apt-get install libnss3-tools (set CONCLAVE_REQUIRE_BROWSER=1 to fail instead)"
		if os.Getenv(requireBrowserEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(home, "root.pem")
	if err := os.WriteFile(root, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + db, "--empty-password"},
		{"-A", "-d", "sql:" + db, "-n", "conclave-test-root", "-t", "C,,", "-i", root},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return []chromedp.ExecAllocatorOption{chromedp.Env("HOME=" + home)}
}
