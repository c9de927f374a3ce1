package lint

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreDoesNotLinkTheParser keeps the parser out of the migrator
// package: apply, status, verify and the library's users do not pay for it.
func TestCoreDoesNotLinkTheParser(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/pgmig/pgmig/migrator").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "pg_query") || strings.HasSuffix(dep, "/migrator/lint") {
			t.Fatalf("package migrator depends on %s", dep)
		}
	}
}
