package sql

import (
	"regexp"
	"strings"
	"testing"
)

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
