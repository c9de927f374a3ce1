package migrator_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/hashcheck"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// markFiles are three migrations; the first two stand for what another
// tool already ran.
var markFiles = fstest.MapFS{
	"1_a.sql": {Data: []byte("CREATE TABLE a (id int);\n")},
	"2_b.sql": {Data: []byte("CREATE TABLE b (id int);\n")},
	"3_c.sql": {Data: []byte("CREATE TABLE c (id int);\n")},
}

// MarkApplied records without running, in a table Apply then continues:
// only the rest runs, and a second call writes nothing.
func TestMarkAppliedThenApply(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	m := newMigrator(t, d.DB, markFiles)

	plan, err := m.PlanMarkApplied(ctx, 2)
	if err != nil || !plan.CreateTable || len(plan.Recorded) != 2 || len(plan.Pending) != 1 {
		t.Fatalf("PlanMarkApplied = %+v, %v; want table to create, 2 to record, 1 pending", plan, err)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("PlanMarkApplied created the tracking table")
	}
	res, err := m.MarkApplied(ctx, 2)
	if err != nil {
		t.Fatalf("MarkApplied: %v", err)
	}
	if !res.CreateTable || len(res.Recorded) != 2 || res.Table != "public.migrations" {
		t.Fatalf("MarkApplied = %+v", res)
	}
	rows := trackingRows(t, d.DB)
	if ids(rows) != "0,1,2" || rows[1].Hash != hashcheck.Sum("1_a.sql", markFiles["1_a.sql"].Data) || rows[2].Name != "b" {
		t.Fatalf("rows = %+v", rows)
	}
	if tableExists(t, d.DB, "a") || tableExists(t, d.DB, "b") {
		t.Fatal("MarkApplied ran a migration")
	}
	if lockHeld(t, d.DB) {
		t.Fatal("lock still held")
	}

	again, err := m.MarkApplied(ctx, 2)
	if err != nil || len(again.Recorded) != 0 || len(again.AlreadyRecorded) != 2 || again.CreateTable {
		t.Fatalf("second MarkApplied = %+v, %v; want nothing recorded", again, err)
	}
	ar := mustApply(t, d.DB, markFiles)
	if got := appliedFiles(ar); len(got) != 1 || got[0] != "3_c.sql" {
		t.Fatalf("Apply after MarkApplied applied %v, want only 3_c.sql", got)
	}
	if _, err := m.Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Past what pgmig applied since, the target still agrees: nothing to do.
	if res, err := m.MarkApplied(ctx, 2); err != nil || len(res.Recorded) != 0 || len(res.AlreadyRecorded) != 3 {
		t.Fatalf("MarkApplied after Apply = %+v, %v", res, err)
	}
}

// Target 0 and a target above the last file.
func TestMarkAppliedTargets(t *testing.T) {
	d := migratortest.NewDatabase(t)
	m := newMigrator(t, d.DB, markFiles)
	res, err := m.MarkApplied(context.Background(), 0)
	if err != nil || len(res.Recorded) != 0 || len(res.Pending) != 3 {
		t.Fatalf("MarkApplied(0) = %+v, %v", res, err)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("MarkApplied(0) created the tracking table")
	}
	var te *migrator.TargetError
	if _, err := m.MarkApplied(context.Background(), 4); !errors.As(err, &te) {
		t.Fatalf("MarkApplied(4) = %v, want *TargetError", err)
	}
}

// Rows already there that disagree with the files: nothing written.
func TestMarkAppliedRefusesDisagreeingRows(t *testing.T) {
	d := migratortest.NewDatabase(t)
	mustApply(t, d.DB, fstest.MapFS{"1_a.sql": {Data: []byte("CREATE TABLE a (id int, other int);\n")}})
	m := newMigrator(t, d.DB, markFiles)
	before := trackingRows(t, d.DB)
	_, err := m.MarkApplied(context.Background(), 3)
	var ie *migrator.IntegrityError
	if !errors.As(err, &ie) || len(ie.Changed) != 1 || ie.Changed[0].ID != 1 {
		t.Fatalf("MarkApplied = %v, want *IntegrityError for 1_a.sql", err)
	}
	if after := trackingRows(t, d.DB); ids(after) != ids(before) {
		t.Fatalf("rows changed: %v -> %v", before, after)
	}
	if _, err := m.PlanMarkApplied(context.Background(), 3); !errors.As(err, &ie) {
		t.Fatalf("PlanMarkApplied = %v, want *IntegrityError", err)
	}
}

// A tracking table made without row 0 gets it, in the transaction of the
// rows; an explicit table in another schema is created there.
func TestMarkAppliedTables(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec(`CREATE TABLE migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL,
		hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp)`); err != nil {
		t.Fatal(err)
	}
	if _, err := newMigrator(t, d.DB, markFiles).MarkApplied(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if rows := trackingRows(t, d.DB); ids(rows) != "0,1" {
		t.Fatalf("rows = %v, want 0,1", rows)
	}
	if _, err := d.DB.Exec(`CREATE SCHEMA app`); err != nil {
		t.Fatal(err)
	}
	res, err := newMigrator(t, d.DB, markFiles, migrator.WithTable("app.history")).MarkApplied(context.Background(), 3)
	if err != nil || res.Table != "app.history" || !res.CreateTable {
		t.Fatalf("MarkApplied = %+v, %v", res, err)
	}
	if rows := trackingRows(t, d.DB, "app.history"); ids(rows) != "0,1,2,3" {
		t.Fatalf("rows = %v", rows)
	}
}

// MarkApplied waits for the migration lock like Apply, and writes nothing
// when the wait runs out.
func TestMarkAppliedTakesTheLock(t *testing.T) {
	d := migratortest.NewDatabase(t)
	h := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	m := newMigrator(t, d.DB, markFiles, migrator.WithLockWait(200*time.Millisecond))
	_, err := m.MarkApplied(context.Background(), 2)
	if !errors.Is(err, migrator.ErrLockTimeout) {
		t.Fatalf("MarkApplied under a held lock = %v, want ErrLockTimeout", err)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("tracking table created without the lock")
	}
	if err := h.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.MarkApplied(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
}
