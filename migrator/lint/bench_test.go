package lint

import (
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// BenchmarkLint1000Files lints 1000 generated migration files in the
// process (parse and rules; no process start): see BenchmarkLintBinary in
// cmd/pgmig for the whole command.
func BenchmarkLint1000Files(b *testing.B) {
	fsys := migratortest.GenerateLintMigrations(1000)
	v, err := migrator.Validate(fsys)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var res *Result
	for b.Loop() {
		if res, err = Lint(fsys, v.Migrations); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Statements), "statements")
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
