package migrator

import (
	"context"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
	pgsql "github.com/pgmig/pgmig/sql"
)

// BenchmarkMigrationEnvelope measures, on a real server, what pgmig wraps
// around a transactional migration in its one round trip: the check that
// the transaction runs on the lock's server process and the session reset
// before the bookkeeping row. "bare" is the same migration and row with
// BEGIN and COMMIT only; the difference is the envelope's cost per
// migration.
//
//	go test ./migrator -run '^$' -bench MigrationEnvelope -benchtime 3000x
func BenchmarkMigrationEnvelope(b *testing.B) {
	d := migratortest.NewDatabase(b)
	ctx := context.Background()
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, pgsql.BackendPID).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE rows (id int)"); err != nil {
		b.Fatal(err)
	}
	s := &session{conn: conn, pid: pid}
	record := "INSERT INTO rows VALUES (1);\n"
	for _, c := range []struct{ name, query string }{
		{"bare", pgsql.BeginMigration + "\nSELECT 1\n;\n" + record + pgsql.Commit},
		{"envelope", pgsql.BeginMigration + "\n" + s.assertLock() + "\nSELECT 1\n;\n" + pgsql.ResetSession + "\n" + record + pgsql.Commit},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := conn.ExecContext(ctx, c.query); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
