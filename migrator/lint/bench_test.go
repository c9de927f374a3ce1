package lint

import (
	"context"
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

// BenchmarkMeasure100 measures 100 generated migrations in a database of
// the test server (PGMIG_TEST_DATABASE_URL or a throwaway cluster), each
// run on its own fresh database: seeding, running each statement in a
// transaction and reading locks, file numbers and scans.
func BenchmarkMeasure100(b *testing.B) {
	fsys := migratortest.GenerateLintMigrations(100)
	v, err := migrator.Validate(fsys)
	if err != nil {
		b.Fatal(err)
	}
	var ms []Measurement
	for b.Loop() {
		b.StopTimer()
		d := migratortest.NewDatabase(b)
		res, err := Lint(fsys, v.Migrations)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if ms, err = Measure(context.Background(), d.DB, fsys, v.Migrations, res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ms)), "measurements")
}
