package adopt_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/adopt/adopttest"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }

// files are four migrations, each creating one table: a database where
// another tool ran some of them has those tables, so a second run of one
// fails.
var files = fstest.MapFS{
	"0001_a.sql": {Data: []byte("CREATE TABLE a (id int);\n")},
	"0002_b.sql": {Data: []byte("CREATE TABLE b (id int);\n")},
	"0003_c.sql": {Data: []byte("CREATE TABLE c (id int);\n")},
	"0004_d.sql": {Data: []byte("CREATE TABLE d (id int);\n")},
}

// exec runs SQL on db or fails the test.
func exec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
}

// ranBy makes the database one where tool applied the files with these
// ids (their SQL ran, and the tool's rows say so).
func ranBy(t *testing.T, db *sql.DB, tool adopttest.Layout, ids ...int) {
	t.Helper()
	exec(t, db, tool.Create)
	var versions []string
	for _, id := range ids {
		for name, f := range files {
			if strings.HasPrefix(name, fmt.Sprintf("%04d_", id)) {
				exec(t, db, string(f.Data))
			}
		}
		versions = append(versions, fmt.Sprint(id))
	}
	if len(versions) > 0 {
		exec(t, db, tool.Record(versions...))
	}
}

// snapshot is the whole content of a table as text, to show it unchanged.
func snapshot(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow("SELECT string_agg(t::text, ';' ORDER BY t::text) FROM " + table + " t").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

// exists reports whether relation name exists.
func exists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// trackingIDs lists the ids in pgmig's tracking table.
func trackingIDs(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow("SELECT string_agg(id::text, ',' ORDER BY id) FROM " + pq.QuoteIdentifier(table)).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

func newMigrator(t *testing.T, db *sql.DB, opts ...migrator.Option) *migrator.Migrator {
	t.Helper()
	m, err := migrator.New(db, files, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// actions lists each file's action, as "record,record,pending,...".
func actions(res *adopt.Result) string {
	var out []string
	for _, f := range res.Files {
		out = append(out, string(f.Action))
	}
	return strings.Join(out, ",")
}

var ctx = context.Background()
