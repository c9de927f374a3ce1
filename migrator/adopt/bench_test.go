package adopt_test

import (
	"fmt"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/adopt/adopttest"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// BenchmarkAdopt measures a whole adoption of a goose history of n
// versions: reading goose_db_version, matching, and writing n rows in one
// transaction under the lock. Each iteration starts from a database
// without pgmig's table.
func BenchmarkAdopt(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := migratortest.NewDatabase(b)
			goose := adopttest.ByName("goose")
			var versions []string
			for i := 1; i <= n; i++ {
				versions = append(versions, fmt.Sprint(i))
			}
			if _, err := d.DB.Exec(goose.Create + "\n" + goose.Record(versions...)); err != nil {
				b.Fatal(err)
			}
			m, err := migrator.New(d.DB, migratortest.GenerateMigrations(n))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := adopt.Adopt(ctx, d.DB, m, adopt.Goose, adopt.Options{})
				if err != nil || res.Count(adopt.ActionRecord) != n {
					b.Fatalf("Adopt = %v, %v", res, err)
				}
				b.StopTimer()
				if _, err := d.DB.Exec("DROP TABLE migrations"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
