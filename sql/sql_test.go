package sql

import (
	"embed"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

//go:embed *.sql
var files embed.FS

// A placeholder inside a comment would turn a multi-line value into live SQL.
func TestNoPlaceholderInComments(t *testing.T) {
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		for i, line := range strings.Split(string(b), "\n") {
			if _, comment, ok := strings.Cut(line, "--"); ok && placeholder.MatchString(comment) {
				t.Errorf("%s:%d: placeholder in a comment: %s", e.Name(), i+1, line)
			}
		}
	}
}

func TestRender(t *testing.T) {
	got := Render("SELECT {a}, {b}, {a}", "a", "1", "b", "'x'")
	if got != "SELECT 1, 'x', 1" {
		t.Fatalf("Render = %q", got)
	}
}

// TestEveryFileIsAStatement: each .sql file is embedded by exactly one
// variable of this package, and none is empty.
func TestEveryFileIsAStatement(t *testing.T) {
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	directive := regexp.MustCompile(`(?m)^\s*//go:embed ([a-z0-9_]+\.sql)\n\s*([A-Z]\w*) string$`)
	used := map[string]int{}
	for _, src := range sources {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range directive.FindAllStringSubmatch(string(b), -1) {
			used[m[1]]++
		}
	}
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		if n := used[e.Name()]; n != 1 {
			t.Errorf("%s is embedded by %d variables, want 1", e.Name(), n)
		}
		if strings.TrimSpace(string(b)) == "" {
			t.Errorf("%s is empty", e.Name())
		}
		delete(used, e.Name())
	}
	for name := range used {
		t.Errorf("%s is embedded but is no file", name)
	}
}
