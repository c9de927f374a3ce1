package migrator_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// databaseCount counts the databases named name, through db.
func databaseCount(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDropDatabaseEndsSessions drops a database with a name that needs
// quoting while another session sits idle in a transaction on it (WITH
// (FORCE) from PostgreSQL 13, pg_terminate_backend on 12), then drops it
// again: a missing database is no error.
func TestDropDatabaseEndsSessions(t *testing.T) {
	ctx := context.Background()
	d := migratortest.NewDatabase(t)
	maint := standbyOpen(t, d.DSNFor("postgres"))
	t.Logf("PostgreSQL %d", migratortest.Shared(t).Version(t))

	const name = `pgmig drop "Me"; DROP DATABASE postgres`
	migratortest.Shared(t).DropDatabaseLater(t, name)
	if _, err := maint.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	other := standbyOpen(t, d.DSNFor(name))
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN; CREATE TABLE kept (id int); SELECT 1"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	dropped, err := migrator.DropDatabase(ctx, maint, name)
	if err != nil || !dropped {
		t.Fatalf("DropDatabase = %v, %v; want true, nil", dropped, err)
	}
	t.Logf("dropped in %s", time.Since(start))
	if n := databaseCount(t, maint, name); n != 0 {
		t.Fatalf("database still there after DropDatabase")
	}
	if err := conn.PingContext(ctx); err == nil {
		t.Error("the other session survived the drop")
	}
	// The databases next to it are untouched.
	if n := databaseCount(t, maint, d.Name) + databaseCount(t, maint, "postgres"); n != 2 {
		t.Errorf("other databases: %d of 2 left", n)
	}

	dropped, err = migrator.DropDatabase(ctx, maint, name)
	if err != nil || dropped {
		t.Fatalf("DropDatabase of a missing database = %v, %v; want false, nil", dropped, err)
	}
}

// TestDropDatabaseRefusesItsOwnDatabase: the database the maintenance
// connection is on is never dropped, nor are its sessions ended.
func TestDropDatabaseRefusesItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	dropped, err := migrator.DropDatabase(ctx, d.DB, d.Name)
	if !errors.Is(err, migrator.ErrCurrentDatabase) || dropped {
		t.Fatalf("DropDatabase of its own database = %v, %v; want ErrCurrentDatabase", dropped, err)
	}
	if !tableExists(t, d.DB, "kept") {
		t.Fatal("table gone")
	}
	if _, err := migrator.DropDatabase(ctx, d.DB, ""); err == nil {
		t.Fatal("DropDatabase without a name succeeded")
	}
}

// TestDropDatabaseOnStandby: a hot standby gets a *ReadOnlyError, for an
// existing database and a missing one, and the primary keeps the database.
func TestDropDatabaseOnStandby(t *testing.T) {
	ctx := context.Background()
	primary := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	standby := primary.StartStandby(t)
	d := primary.Server(t).NewDatabase(t)
	standbyCatchUp(t, standby, d.DB)
	maint := standbyOpen(t, standby.DSN("postgres"))
	for _, name := range []string{d.Name, "pgmig_no_such_database"} {
		dropped, err := migrator.DropDatabase(ctx, maint, name)
		wantStandbyError(t, "DropDatabase of "+name, err)
		if dropped {
			t.Errorf("DropDatabase of %s on the standby reported it dropped", name)
		}
	}
	if n := databaseCount(t, standbyOpen(t, primary.DSN("postgres")), d.Name); n != 1 {
		t.Fatal("database gone from the primary")
	}
}
