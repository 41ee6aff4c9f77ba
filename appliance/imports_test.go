package appliance_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries enforces STYLE.md B.2: imports go one way, so a
// forbidden import fails the build's tests, not a code review.
func TestImportBoundaries(t *testing.T) {
	forbidden := map[string][]string{
		"conclave/admin":      {"conclave/sfu", "conclave/turn", "conclave/appliance", "conclave/web", "conclave/client"},
		"conclave/web":        {"conclave/"},
		"conclave/migrations": {"conclave/"},
		"conclave/sfu":        {"conclave/turn", "conclave/admin", "conclave/appliance", "conclave/web", "conclave/client"},
		"conclave/turn":       {"conclave/"},
		"conclave/sframe":     {"conclave/"},
		"conclave":            {"conclave/admin", "conclave/web", "conclave/sfu", "conclave/turn", "conclave/client"},
		"conclave/appliance":  {"conclave/client", "conclave/loadtest", "conclave/sframe"},
		"conclave/loadtest":   {"conclave/appliance", "conclave/sfu", "conclave/turn", "conclave/admin", "conclave/web"},
		"conclave/client":     {"conclave/appliance", "conclave/sfu", "conclave/turn", "conclave/admin", "conclave/web", "conclave/loadtest"},
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "conclave/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		rules, ok := forbidden[pkg]
		if !ok {
			continue
		}
		checked++
		for _, imp := range strings.Fields(imports) {
			for _, bad := range rules {
				if strings.HasPrefix(imp, bad) && imp != pkg {
					t.Errorf("%s imports %s, which STYLE.md B.2 forbids", pkg, imp)
				}
			}
		}
	}
	if checked < 4 {
		t.Fatalf("checked %d packages, want at least main, admin, web and migrations", checked)
	}
}
