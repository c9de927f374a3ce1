package migratortest

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// GenerateLintMigrations returns n migrations for benchmarks of pgmig
// lint: file i is GenerateMigrations' file i followed, from the second
// on, by changes to table t<i-1> of the file before, which lint flags: a
// new column (and a lock taken without a lock timeout), an index built
// without CONCURRENTLY, and in every 10th file an UPDATE of the whole
// table. The same n always gives the same files.
func GenerateLintMigrations(n int) fstest.MapFS {
	fsys := GenerateMigrations(n)
	width := len(fmt.Sprint(n))
	for i := 2; i <= n; i++ {
		name := fmt.Sprintf("%0*d_create-t%d.sql", width, i, i)
		var b strings.Builder
		b.Write(fsys[name].Data)
		fmt.Fprintf(&b, "ALTER TABLE t%d ADD COLUMN note text;\n", i-1)
		fmt.Fprintf(&b, "CREATE INDEX t%d_note_idx ON t%d (note);\n", i-1, i-1)
		if i%10 == 0 {
			fmt.Fprintf(&b, "UPDATE t%d SET note = 'migrated';\n", i-1)
		}
		fsys[name].Data = []byte(b.String())
	}
	return fsys
}
