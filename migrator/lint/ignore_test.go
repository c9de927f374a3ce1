package lint

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseIgnores(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []ignoreComment
	}{
		{"none", "ALTER TABLE t DROP COLUMN c;\n", nil},
		{"line before", "-- pgmig lint-ignore drop-column\nALTER TABLE t DROP COLUMN c;\n",
			[]ignoreComment{{Line: 1, Rules: []string{"drop-column"}, Target: 2}}},
		{"list", "--pgmig lint-ignore drop-column, rename-table,truncate-table  drop-column\nSELECT 1;",
			[]ignoreComment{{Line: 1, Rules: []string{"drop-column", "rename-table", "truncate-table"}, Target: 2}}},
		{"inside a comment block", "-- why: reviewed\n  -- pgmig lint-ignore drop-table\n-- ticket 12\n\tDROP TABLE t;\n",
			[]ignoreComment{{Line: 2, Rules: []string{"drop-table"}, Target: 4}}},
		{"file header", "-- pgmig lint-ignore drop-table\n\nDROP TABLE a;\nDROP TABLE b;\n",
			[]ignoreComment{{Line: 1, Rules: []string{"drop-table"}}}},
		{"at the end", "DROP TABLE a;\n-- pgmig lint-ignore drop-table",
			[]ignoreComment{{Line: 2, Rules: []string{"drop-table"}}}},
		{"reason after --", "-- pgmig lint-ignore drop-table, truncate-table -- reviewed by ops, ticket 12\nDROP TABLE t;\n",
			[]ignoreComment{{Line: 1, Rules: []string{"drop-table", "truncate-table"}, Target: 2}}},
		{"reason glued to --", "-- pgmig lint-ignore drop-table --reviewed\nDROP TABLE t;\n",
			[]ignoreComment{{Line: 1, Rules: []string{"drop-table"}, Target: 2}}},
		{"no rule", "-- pgmig lint-ignore\nSELECT 1;\n", []ignoreComment{{Line: 1, Target: 2}}},
		{"not pgmig's", "-- lint-ignore drop-table\n-- PGMIG lint-ignore x\nSELECT 1; -- pgmig lint-ignore y\n", nil},
		{"crlf", "-- pgmig lint-ignore truncate-table\r\nTRUNCATE t;\r\n",
			[]ignoreComment{{Line: 1, Rules: []string{"truncate-table"}, Target: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseIgnores(tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseIgnores(%q)\n got %+v\nwant %+v", tt.src, got, tt.want)
			}
		})
	}
}

func FuzzParseIgnores(f *testing.F) {
	f.Add("-- pgmig lint-ignore drop-column\nALTER TABLE t DROP COLUMN c;\n")
	f.Add("-- pgmig lint-ignore a,b c\n\n-- x\r\nSELECT 1;")
	f.Add("--pgmig lint-ignore\n")
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		got := parseIgnores(src)
		for _, c := range got {
			if c.Line < 1 || c.Line > lines || c.Target != 0 && (c.Target <= c.Line || c.Target > lines) {
				t.Fatalf("comment %+v outside the %d lines of %q", c, lines, src)
			}
			for _, id := range c.Rules {
				if id == "" || strings.ContainsAny(id, ", \t\r\n") {
					t.Fatalf("rule id %q of %q", id, src)
				}
			}
		}
		// A suppression on its own line right before a statement always
		// applies to that statement, whatever came before.
		more := parseIgnores(src + "\n-- pgmig lint-ignore drop-table\nDROP TABLE t;\n")
		if len(more) == 0 {
			t.Fatalf("appended suppression not found after %q", src)
		}
		last := more[len(more)-1]
		if last.Target != last.Line+1 || !reflect.DeepEqual(last.Rules, []string{"drop-table"}) {
			t.Fatalf("appended suppression read as %+v after %q", last, src)
		}
	})
}
