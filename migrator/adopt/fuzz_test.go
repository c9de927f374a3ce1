package adopt

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseMap: a version map is text from a user. ParseMap never panics,
// accepts exactly the maps whose every line is blank, a comment or two
// fields with a new version, and reports problems with real line numbers.
func FuzzParseMap(f *testing.F) {
	f.Add([]byte("# goose version  file\n20230114093000 0001_a.sql\n20230201120000 2 # by id\n"))
	f.Add([]byte("1 a\n1.0 b\n"))
	f.Add([]byte("x\n\n  \t\n1 2 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMap("fuzz", data)
		lines := strings.Count(string(data), "\n") + 1
		var me *MapError
		switch {
		case err == nil:
			seen := map[string]bool{}
			for _, e := range m.entries {
				if seen[versionKey(e.version)] || e.line < 1 || e.line > lines {
					t.Fatalf("accepted entry %+v twice or on a line that does not exist", e)
				}
				seen[versionKey(e.version)] = true
			}
		case errors.As(err, &me):
			if len(me.Problems) == 0 {
				t.Fatal("MapError without problems")
			}
			for _, p := range me.Problems {
				if p.Line < 0 || p.Line > lines {
					t.Fatalf("problem on line %d of %d", p.Line, lines)
				}
			}
		default:
			t.Fatalf("ParseMap returned %T", err)
		}
	})
}
