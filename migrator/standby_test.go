package migrator_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// standbyOpen opens dsn and closes it in t.Cleanup.
func standbyOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// standbyCatchUp waits until standby has replayed what primary wrote.
func standbyCatchUp(t *testing.T, standby *migratortest.Cluster, primary *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := standby.WaitCaughtUp(ctx, primary); err != nil {
		t.Fatal(err)
	}
}

// wantStandbyError checks that err is a *migrator.ReadOnlyError for a hot
// standby.
func wantStandbyError(t *testing.T, what string, err error) {
	t.Helper()
	var ro *migrator.ReadOnlyError
	if !errors.As(err, &ro) || !ro.Standby {
		t.Errorf("%s on the standby: %v (%T), want a *migrator.ReadOnlyError with Standby", what, err, err)
	}
}

func TestStandbyRefusesWritesAllowsReads(t *testing.T) {
	ctx := context.Background()
	primary := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	standby := primary.StartStandby(t)
	d := primary.Server(t).NewDatabase(t)
	applied := fstest.MapFS{
		"1_users.sql":  file("CREATE TABLE users (id int PRIMARY KEY);\n"),
		"2_orders.sql": file("CREATE TABLE orders (id int, user_id int REFERENCES users);\n"),
	}
	if res := mustApply(t, d.DB, applied); len(res.Applied) != 2 {
		t.Fatalf("applied %v on the primary", appliedFiles(res))
	}
	standbyCatchUp(t, standby, d.DB)
	sdb := standbyOpen(t, standby.DSN(d.Name))
	before := snapshot(t, sdb)
	if !tableExists(t, sdb, "migrations") || ids(trackingRows(t, sdb)) != "0,1,2" {
		t.Fatal("the standby does not show the primary's tracking table")
	}

	// Nothing pending: still refused, so that a deploy pointed at a replica
	// is caught at once.
	res, err := apply(t, sdb, applied)
	wantStandbyError(t, "Apply with nothing pending", err)
	if res != nil && len(res.Applied) != 0 {
		t.Errorf("applied %v", appliedFiles(res))
	}

	pending := fstest.MapFS{
		"1_users.sql":  applied["1_users.sql"],
		"2_orders.sql": applied["2_orders.sql"],
		"3_items.sql":  file("CREATE TABLE items (id int);\n"),
	}
	res, err = apply(t, sdb, pending)
	wantStandbyError(t, "Apply with a pending migration", err)
	if res != nil && len(res.Applied) != 0 {
		t.Errorf("applied %v", appliedFiles(res))
	}
	if lockHeld(t, sdb) {
		t.Error("the refused runs left the migration lock held on the standby")
	}
	// Nothing changed, on the standby or on the primary.
	standbyCatchUp(t, standby, d.DB)
	if after := snapshot(t, sdb); after != before {
		t.Errorf("the standby changed: before %q, after %q", before, after)
	}
	if tableExists(t, d.DB, "items") || ids(trackingRows(t, d.DB)) != "0,1,2" {
		t.Error("the primary changed")
	}

	// Status and Verify read the standby.
	st, err := newMigrator(t, sdb, applied).Status(ctx)
	if err != nil {
		t.Fatalf("Status on the standby: %v", err)
	}
	if !st.TableExists || st.Count(migrator.StateApplied) != 2 || len(st.Migrations) != 2 {
		t.Errorf("Status on the standby: %+v, want 2 applied", st)
	}
	st, err = newMigrator(t, sdb, pending).Status(ctx)
	if err != nil {
		t.Fatalf("Status with a pending file on the standby: %v", err)
	}
	if st.Count(migrator.StateApplied) != 2 || st.Count(migrator.StatePending) != 1 || st.Migrations[2].File != "3_items.sql" {
		t.Errorf("Status with a pending file on the standby: %+v, want 2 applied and 3_items.sql pending", st.Migrations)
	}
	if _, err := newMigrator(t, sdb, applied).Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Errorf("Verify on the standby: %v", err)
	}
	_, err = newMigrator(t, sdb, pending).Verify(ctx, migrator.VerifyOptions{})
	var pe *migrator.PendingError
	if !migrator.IsPending(err) || !errors.As(err, &pe) || len(pe.Pending) != 1 || pe.Pending[0].File != "3_items.sql" {
		t.Errorf("Verify with a pending file on the standby: %v, want a PendingError for 3_items.sql", err)
	}
	if _, err := newMigrator(t, sdb, pending).Verify(ctx, migrator.VerifyOptions{AllowPending: true}); err != nil {
		t.Errorf("Verify allowing pending files on the standby: %v", err)
	}

	// CreateDatabase refuses on the standby, for an existing database too.
	maint := standbyOpen(t, standby.DSN("postgres"))
	created, err := migrator.CreateDatabase(ctx, maint, d.Name, migrator.CreateDatabaseOptions{})
	wantStandbyError(t, "CreateDatabase of an existing database", err)
	if created {
		t.Error("CreateDatabase of an existing database reported it created")
	}
	const fresh = "pgmig_standby_never_created"
	created, err = migrator.CreateDatabase(ctx, maint, fresh, migrator.CreateDatabaseOptions{})
	wantStandbyError(t, "CreateDatabase of a new database", err)
	if created {
		t.Error("CreateDatabase of a new database on the standby reported it created")
	}
	var n int
	if err := standbyOpen(t, primary.DSN("postgres")).QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", fresh).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s on the primary: count %d (%v)", fresh, n, err)
	}

	// The primary still takes the pending migration: the refusals left
	// nothing in the way.
	if res := mustApply(t, d.DB, pending); len(res.Applied) != 1 || res.Applied[0].File != "3_items.sql" {
		t.Fatalf("applied %v on the primary, want 3_items.sql", appliedFiles(res))
	}
}
