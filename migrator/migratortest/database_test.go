package migratortest_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// countTables returns the number of ordinary tables outside the system
// schemas of db.
func countTables(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`).Scan(&n)
	if err != nil {
		t.Fatalf("count tables: %v", err)
	}
	return n
}

// databaseExists reports whether database name exists on the shared server.
func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	db, err := sql.Open("postgres", migratortest.Shared(t).DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRow("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatalf("look up database %s: %v", name, err)
	}
	return exists
}

func TestNewDatabaseIsolatedAndDropped(t *testing.T) {
	var first, second string
	var leaked *sql.DB
	t.Run("first", func(t *testing.T) {
		d := migratortest.NewDatabase(t)
		first = d.Name
		if n := countTables(t, d.DB); n != 0 {
			t.Fatalf("new database has %d tables, want 0", n)
		}
		if _, err := d.DB.Exec("CREATE TABLE only_in_first (id int); INSERT INTO only_in_first VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		// A session the test forgot to close must not keep the database alive.
		var err error
		if leaked, err = sql.Open("postgres", d.DSN); err != nil {
			t.Fatal(err)
		}
		if err := leaked.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	if leaked != nil {
		defer leaked.Close()
	}
	t.Run("second", func(t *testing.T) {
		d := migratortest.NewDatabase(t)
		second = d.Name
		if n := countTables(t, d.DB); n != 0 {
			t.Fatalf("new database has %d tables, want 0", n)
		}
		var reg sql.NullString
		if err := d.DB.QueryRow("SELECT to_regclass('only_in_first')::text").Scan(&reg); err != nil {
			t.Fatal(err)
		}
		if reg.Valid {
			t.Fatalf("table of the first test is visible in the second: %s", reg.String)
		}
	})
	if first == "" || second == "" {
		t.Fatal("subtests did not create databases")
	}
	if first == second {
		t.Fatalf("both tests got database %s", first)
	}
	for _, name := range []string{first, second} {
		if databaseExists(t, name) {
			t.Errorf("database %s still exists after its test finished", name)
		}
	}
}

func TestNewDatabaseTwiceInOneTest(t *testing.T) {
	t.Parallel()
	a := migratortest.NewDatabase(t)
	b := migratortest.NewDatabase(t)
	if a.Name == b.Name {
		t.Fatalf("both databases are named %s", a.Name)
	}
	if _, err := a.DB.Exec("CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DB.Exec("CREATE TABLE t (y text)"); err != nil {
		t.Fatalf("create the same table in the other database: %v", err)
	}
	for _, d := range []*migratortest.Database{a, b} {
		if !databaseExists(t, d.Name) {
			t.Errorf("database %s does not exist during its test", d.Name)
		}
		var current string
		if err := d.DB.QueryRow("SELECT current_database()").Scan(&current); err != nil {
			t.Fatal(err)
		}
		if current != d.Name {
			t.Errorf("DB is connected to %s, want %s", current, d.Name)
		}
	}
}

func TestDatabaseNameAndDSN(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	if !strings.HasPrefix(d.Name, "pgmig_test_testdatabasenameanddsn_") {
		t.Errorf("name %q does not start with pgmig_test_testdatabasenameanddsn_", d.Name)
	}
	cfg, err := pq.NewConfig(d.DSN)
	if err != nil {
		t.Fatalf("lib/pq rejects DSN %q: %v", d.DSN, err)
	}
	if cfg.Database != d.Name {
		t.Errorf("DSN %q names database %q, want %q", d.DSN, cfg.Database, d.Name)
	}
	if os.Getenv("PGMIG_TEST_DATABASE_URL") == "" && cfg.SSLMode != "disable" {
		t.Errorf("DSN %q of the harness's server has sslmode %q, want disable", d.DSN, cfg.SSLMode)
	}
	other, err := sql.Open("postgres", d.DSNFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var current string
	if err := other.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != "postgres" {
		t.Errorf("DSNFor(postgres) connects to %s", current)
	}
}

func TestServerVersion(t *testing.T) {
	t.Parallel()
	v := migratortest.Shared(t).Version(t)
	if v < 9 || v > 100 {
		t.Fatalf("implausible major version %d", v)
	}
	d := migratortest.NewDatabase(t)
	var num int
	if err := d.DB.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	if num/10000 != v {
		t.Errorf("Version = %d, server_version_num = %d", v, num)
	}
}

// connectedSession opens a session on dsn that is idle in a transaction,
// the kind that keeps a plain DROP DATABASE from working.
func connectedSession(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec("CREATE TABLE busy (x int)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestDropDatabaseWithConnectedSession(t *testing.T) {
	t.Parallel()
	srv := migratortest.Shared(t)
	d := srv.NewDatabase(t)
	other := connectedSession(t, d.DSN)
	ctx := context.Background()
	if err := srv.DropDatabase(ctx, d.Name); err != nil {
		t.Fatalf("DropDatabase on PostgreSQL %d with a session connected: %v", srv.Version(t), err)
	}
	if v := srv.Version(t); v >= 13 {
		t.Logf("PostgreSQL %d: dropped WITH (FORCE)", v)
	} else {
		t.Logf("PostgreSQL %d: dropped after pg_terminate_backend", v)
	}
	if databaseExists(t, d.Name) {
		t.Fatalf("database %s still exists", d.Name)
	}
	if err := other.Ping(); err == nil {
		t.Error("the session on the dropped database still works")
	}
	if err := srv.DropDatabase(ctx, d.Name); err != nil {
		t.Errorf("DropDatabase of a database that does not exist: %v", err)
	}
	quirky := `pgmig_test_We"ird; DROP DATABASE x_` + d.Name[len(d.Name)-8:]
	if _, err := d.DB.Exec("SELECT 1"); err == nil {
		t.Error("d.DB still works on the dropped database")
	}
	admin, err := sql.Open("postgres", srv.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(quirky)); err != nil {
		t.Fatal(err)
	}
	if err := srv.DropDatabase(ctx, quirky); err != nil || databaseExists(t, quirky) {
		t.Errorf("DropDatabase(%q): %v", quirky, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := srv.DropDatabase(cancelled, "pgmig_test_never"); !errors.Is(err, context.Canceled) {
		t.Errorf("DropDatabase with a cancelled context: %v", err)
	}
}

func TestDropDatabaseLater(t *testing.T) {
	srv := migratortest.Shared(t)
	name := fmt.Sprintf("pgmig_test_later_%d_%d", os.Getpid(), time.Now().UnixNano())
	var session *sql.DB
	t.Run("made by the test", func(t *testing.T) {
		srv.DropDatabaseLater(t, name)
		srv.DropDatabaseLater(t, name+"_never_made") // no error for a missing one
		admin, err := sql.Open("postgres", srv.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
			t.Fatal(err)
		}
		// A session that outlives the test does not keep the database.
		if session, err = sql.Open("postgres", srv.DSN(name)); err != nil {
			t.Fatal(err)
		}
		if err := session.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	if session != nil {
		defer session.Close()
	}
	if databaseExists(t, name) {
		t.Errorf("database %s exists after its test ended", name)
	}
}
