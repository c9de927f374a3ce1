package devdb_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/pgcluster"
)

func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }

// migrations is a folder of three migrations, each adding a table.
var migrations = fstest.MapFS{
	"1_users.sql":  {Data: []byte("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);\n")},
	"2_orders.sql": {Data: []byte("CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users);\n")},
	"3_items.sql":  {Data: []byte("CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders);\n")},
}

// testContext is a context for one dev database operation.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sharedConnect returns a Connect on the shared test server: "" is its
// database postgres.
func sharedConnect(t *testing.T) func(string) (*sql.DB, error) {
	t.Helper()
	srv := migratortest.Shared(t)
	return func(dbname string) (*sql.DB, error) {
		if dbname == "" {
			dbname = "postgres"
		}
		return sql.Open("postgres", srv.DSN(dbname))
	}
}

// open opens a dev database closed in t.Cleanup; a throwaway cluster
// without server binaries skips the test, unless CI is set.
func open(t *testing.T, opts devdb.Options) *devdb.Database {
	t.Helper()
	d, err := devdb.Open(testContext(t), opts)
	if errors.Is(err, pgcluster.ErrNoServer) && os.Getenv("CI") == "" {
		t.Skipf("skipping test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close dev database: %v", err)
		}
	})
	return d
}

// tables returns the tables of schema public in db, sorted.
func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}
