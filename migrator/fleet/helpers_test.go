package fleet_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }

// testCtx bounds a test's fleet run: a deadlock fails it instead of
// hanging the suite.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newDatabases makes n fresh databases and returns them with their
// targets, each connecting as application appName.
func newDatabases(t *testing.T, n int, appName string) ([]*migratortest.Database, []fleet.Target) {
	t.Helper()
	var dbs []*migratortest.Database
	var targets []fleet.Target
	for range n {
		d := migratortest.NewDatabase(t)
		dbs = append(dbs, d)
		targets = append(targets, target(t, d.DSN+" application_name="+appName))
	}
	return dbs, targets
}

// target parses a DSN into a target.
func target(t *testing.T, dsn string) fleet.Target {
	t.Helper()
	tg, err := fleet.ParseTarget(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// readFiles reads fsys once for a run.
func readFiles(t *testing.T, fsys fstest.MapFS) *migrator.Files {
	t.Helper()
	files, err := migrator.ReadFiles(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// applyOp applies and keeps the result.
func applyOp(ctx context.Context, _ fleet.Target, m *migrator.Migrator) (*migrator.ApplyResult, error) {
	return m.Apply(ctx)
}

// appliedIDs returns the ids recorded in a tracking table, row 0 left out.
func appliedIDs(t *testing.T, db *sql.DB, table string) []int {
	t.Helper()
	rows, err := db.Query("SELECT id FROM " + table + " WHERE id > 0 ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// wantIDs fails the test unless ids are 1..n.
func wantIDs(t *testing.T, what string, ids []int, n int) {
	t.Helper()
	ok := len(ids) == n
	for i := 0; ok && i < n; i++ {
		ok = ids[i] == i+1
	}
	if !ok {
		t.Errorf("%s: applied ids %v, want 1..%d once each", what, ids, n)
	}
}

// advisoryLocks counts the advisory locks held in database dbname.
func advisoryLocks(t *testing.T, admin *sql.DB, dbname string) int {
	t.Helper()
	var n int
	err := admin.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND d.datname = $1`, dbname).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// openAdmin opens the maintenance database of the test server.
func openAdmin(t *testing.T, d *migratortest.Database) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", d.DSNFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// createSchemas makes n tenant schemas prefix_001 ... in db.
func createSchemas(t *testing.T, db *sql.DB, prefix string, n int) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "CREATE SCHEMA %s;\n", pq.QuoteIdentifier(fmt.Sprintf("%s_%03d", prefix, i)))
	}
	if _, err := db.Exec(b.String()); err != nil {
		t.Fatal(err)
	}
}
