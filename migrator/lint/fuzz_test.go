package lint

import (
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
)

// FuzzLint lints arbitrary text as a migration after baseSchema: lint
// must not panic, and every finding must point into the file, at a known
// rule.
func FuzzLint(f *testing.F) {
	for _, c := range ruleCases {
		f.Add(c.sql)
	}
	f.Add("BEGIN;\nDO $$ BEGIN ALTER TABLE orders ADD COLUMN x int; END $$;\nCOMMIT;\n")
	f.Add("-- pgmig lint-ignore drop-table -- why\r\nDROP TABLE orders; SELECT set_config('search_path', '\"A\", b', false);")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstestFS(map[string]string{"1_base.sql": baseSchema, "2_change.sql": src})
		v, err := migrator.Validate(fsys)
		if err != nil {
			return // pgmig refuses the file before lint reads it
		}
		res, err := Lint(fsys, v.Migrations, WithPending(2))
		if err != nil {
			t.Fatal(err)
		}
		// Line breaks as pgmig's splitter counts them: \n, \r\n or \r.
		lf := strings.ReplaceAll(src, "\r\n", "\n")
		lines := strings.Count(lf, "\n") + strings.Count(lf, "\r") + 1
		for _, fd := range res.Findings {
			if _, ok := ruleByID(fd.Rule); !ok || fd.Line < 1 || fd.Line > lines || fd.Column < 1 || fd.File != "2_change.sql" {
				t.Fatalf("finding %+v of %q", fd, src)
			}
		}
	})
}
