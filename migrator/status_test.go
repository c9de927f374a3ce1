package migrator_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// snapshot describes everything status and verify could write: the list of
// relations and the tracking table's rows.
func snapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	var rels string
	if err := db.QueryRow(`SELECT coalesce(string_agg(relname, ',' ORDER BY relname), '') FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`).Scan(&rels); err != nil {
		t.Fatal(err)
	}
	if !tableExists(t, db, "migrations") {
		return rels
	}
	var rows string
	if err := db.QueryRow(`SELECT string_agg(id || ':' || name || ':' || hash || ':' || executed_at, ',' ORDER BY id) FROM migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return rels + "|" + rows
}

func TestStatusOnEmptyDatabaseWritesNothing(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);"), "2_b.sql": file("-- pgmig disable-transaction\nVACUUM;")}
	before := snapshot(t, d.DB)
	res, err := newMigrator(t, d.DB, fsys).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.TableExists || len(res.Migrations) != 2 || res.Count(migrator.StatePending) != 2 || !res.Migrations[1].DisableTransaction {
		t.Fatalf("status = %+v", res)
	}
	if after := snapshot(t, d.DB); after != before || tableExists(t, d.DB, "migrations") {
		t.Fatalf("status wrote: before %q after %q", before, after)
	}
}

func TestStatusEveryState(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	orig := fstest.MapFS{
		"1_kept.sql":    file("CREATE TABLE kept (id int);"),
		"2_changed.sql": file("CREATE TABLE changed (id int);\n"),
		"3_crlf.sql":    file("CREATE TABLE crlf (\n id int\n);\n"),
		"4_allowed.sql": file("-- pgmig disable-hash-check\nCREATE OR REPLACE VIEW v AS SELECT 1 AS one;"),
		"5_missing.sql": file("CREATE TABLE gone (id int);"),
	}
	mustApply(t, d.DB, orig)
	now := fstest.MapFS{
		"1_kept.sql":    orig["1_kept.sql"],
		"2_changed.sql": file("CREATE TABLE changed (id bigint);\n"),
		"3_crlf.sql":    file("CREATE TABLE crlf (\r\n id int\r\n);\r\n"),
		"4_allowed.sql": file("-- pgmig disable-hash-check\nCREATE OR REPLACE VIEW v AS SELECT 1 AS one, 2 AS two;"),
	}
	// File 5 is gone: with ids 1..4 left the folder is valid; a 5th file
	// under another name would be "changed", so the missing one is the last.
	before := snapshot(t, d.DB)
	m := newMigrator(t, d.DB, now)
	res, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]migrator.State{}
	for _, s := range res.Migrations {
		got[s.ID] = s.State
		if s.State != migrator.StatePending && s.AppliedAt.IsZero() {
			t.Errorf("%d: no applied time", s.ID)
		}
	}
	want := map[int]migrator.State{1: migrator.StateApplied, 2: migrator.StateChanged, 3: migrator.StateChanged, 4: migrator.StateHashCheckDisabled, 5: migrator.StateMissing}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("migration %d: state %s, want %s", id, got[id], st)
		}
	}
	if !strings.Contains(res.Migrations[2].Reason, "line endings") {
		t.Errorf("reason for 3 = %q", res.Migrations[2].Reason)
	}
	// Verify: integrity first.
	_, err = m.Verify(ctx, migrator.VerifyOptions{AllowPending: true})
	var ierr *migrator.IntegrityError
	if !errors.As(err, &ierr) || len(ierr.Changed) != 2 || len(ierr.Missing) != 1 {
		t.Fatalf("verify err = %v", err)
	}
	if after := snapshot(t, d.DB); after != before {
		t.Fatalf("status/verify wrote: before %q after %q", before, after)
	}
	// Pending state.
	d2 := migratortest.NewDatabase(t)
	mustApply(t, d2.DB, fstest.MapFS{"1_kept.sql": orig["1_kept.sql"]})
	res, err = newMigrator(t, d2.DB, fstest.MapFS{"1_kept.sql": orig["1_kept.sql"], "2_new.sql": file("SELECT 1;")}).Status(ctx)
	if err != nil || res.Migrations[1].State != migrator.StatePending || res.Migrations[0].State != migrator.StateApplied {
		t.Fatalf("status = %+v, %v", res, err)
	}
}

func TestStatusReportsDuration(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_slow.sql": file("SELECT pg_sleep(0.05);"), "2_notx.sql": file("-- pgmig disable-transaction\nSELECT pg_sleep(0.05);")}
	mustApply(t, d.DB, fsys)
	res, err := newMigrator(t, d.DB, fsys).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Migrations {
		if s.Duration < 40_000_000 || s.Duration > 10_000_000_000 {
			t.Errorf("%s: duration %s, want about 50ms", s.File, s.Duration)
		}
	}
}

func TestVerify(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);"), "2_b.sql": file("CREATE TABLE b (id int);")}
	// Nothing applied: pending.
	_, err := newMigrator(t, d.DB, fsys).Verify(ctx, migrator.VerifyOptions{})
	var perr *migrator.PendingError
	if !errors.As(err, &perr) || len(perr.Pending) != 2 || !migrator.IsPending(err) {
		t.Fatalf("err = %v", err)
	}
	if _, err := newMigrator(t, d.DB, fsys).Verify(ctx, migrator.VerifyOptions{AllowPending: true}); err != nil {
		t.Fatalf("allow pending: %v", err)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("verify created the tracking table")
	}
	mustApply(t, d.DB, fsys)
	if _, err := newMigrator(t, d.DB, fsys).Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Fatalf("fully migrated: %v", err)
	}
	// A read-only session proves that verify never writes.
	ro, err := sql.Open("postgres", d.DSN+" options='-c default_transaction_read_only=on'")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := newMigrator(t, ro, fsys).Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Fatalf("read-only verify: %v", err)
	}
	if _, err := apply(t, ro, fstest.MapFS{"1_a.sql": fsys["1_a.sql"], "2_b.sql": fsys["2_b.sql"], "3_c.sql": file("CREATE TABLE c (id int);")}); err == nil {
		t.Fatal("the read-only session accepted a write: the proof above proves nothing")
	}
}

func TestPlanAndApplyTo(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"1_a.sql": file("CREATE TABLE a (id int);"),
		"2_b.sql": file("-- pgmig disable-transaction\nCREATE TABLE b (id int);"),
		"3_c.sql": file("CREATE TABLE c (id int);"),
	}
	m := newMigrator(t, d.DB, fsys)
	p, err := m.Plan(ctx, 2)
	if err != nil || !p.CreateTable || len(p.Pending) != 2 || p.Pending[1].ID != 2 || !p.Pending[1].DisableTransaction || p.LastApplied != 0 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("plan created the tracking table")
	}
	res, err := m.ApplyTo(ctx, 2)
	if err != nil || len(res.Applied) != 2 || tableExists(t, d.DB, "c") {
		t.Fatalf("ApplyTo(2) = %+v, %v", res, err)
	}
	var terr *migrator.TargetError
	if _, err := m.ApplyTo(ctx, 1); !errors.As(err, &terr) || terr.Applied != 2 {
		t.Fatalf("ApplyTo(1) err = %v, want a TargetError: never going down", err)
	}
	if _, err := m.ApplyTo(ctx, 4); !errors.As(err, &terr) || terr.Highest != 3 {
		t.Fatalf("ApplyTo(4) err = %v", err)
	}
	if _, err := m.Plan(ctx, 1); !errors.As(err, &terr) {
		t.Fatalf("Plan(1) err = %v", err)
	}
	// The lock held by another session shows in the plan.
	holder := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	p, err = m.Plan(ctx, 0)
	if err != nil || len(p.LockHolders) != 1 || len(p.Pending) != 1 || p.AlreadyApplied != 2 || p.LastApplied != 2 || p.CreateTable {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	if res, err := m.ApplyTo(ctx, 3); err != nil || len(res.Applied) != 1 {
		t.Fatalf("ApplyTo(3) = %+v, %v", res, err)
	}
}

func TestValidate(t *testing.T) {
	res, err := migrator.Validate(fstest.MapFS{
		"1_enum.sql": file("CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b';"),
		"2_ok.sql":   file("-- pgmig disable-transaction\nALTER TYPE mood ADD VALUE 'c';"),
	})
	if err != nil || len(res.Migrations) != 2 || len(res.Warnings) != 1 || res.Warnings[0].File != "1_enum.sql" ||
		!strings.Contains(res.Warnings[0].Problem, "line 2: ALTER TYPE ... ADD VALUE") {
		t.Fatalf("Validate = %+v, %v", res, err)
	}
	_, err = migrator.Validate(fstest.MapFS{"1_v.sql": file("VACUUM;"), "3_x.sql": file("")})
	var ferr *migrator.FileError
	if !errors.As(err, &ferr) || len(ferr.Problems) != 2 {
		t.Fatalf("err = %v", err)
	}
}
