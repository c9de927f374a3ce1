package migrator_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// The replay of postgres-migrations' own test fixtures (upstream and the
// @mft fork): each folder gives the outcome its README states, in pgmig's
// wording.

const row0Hash = "e18db593bcde2aca2a408c4d1100f6abba2195df"

func TestFixtureSuccess(t *testing.T) {
	for _, dir := range []string{"success-first", "mft/success-first", "ensure-exists"} {
		t.Run(dir, func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			res := mustApply(t, db, os.DirFS(peerDir(t, dir)))
			if len(res.Applied) != 1 || !tableExists(t, db, "success") {
				t.Fatalf("applied %v; table success exists: %v", appliedFiles(res), tableExists(t, db, "success"))
			}
			rows := trackingRows(t, db)
			want := []row{{0, "create-migrations-table", row0Hash}, {1, "success", "9c94a89d2dcbfbf5a15831b1bbc69a48e58f3524"}}
			if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
				t.Fatalf("tracking rows = %+v, want %+v", rows, want)
			}
		})
	}
}

func TestFixtureEmpty(t *testing.T) {
	for _, dir := range []string{"empty", "mft/empty"} {
		t.Run(dir, func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			res := mustApply(t, db, os.DirFS(peerDir(t, dir)))
			if len(res.Applied) != 0 {
				t.Fatalf("applied %v", appliedFiles(res))
			}
			if rows := trackingRows(t, db); len(rows) != 1 || rows[0] != (row{0, "create-migrations-table", row0Hash}) {
				t.Fatalf("tracking rows = %+v, want only row 0", rows)
			}
		})
	}
}

func TestFixtureSuccessSecond(t *testing.T) {
	for _, prefix := range []string{"", "mft/"} {
		t.Run(prefix+"success-second", func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			mustApply(t, db, os.DirFS(peerDir(t, prefix+"success-first")))
			res := mustApply(t, db, os.DirFS(peerDir(t, prefix+"success-second")))
			if got := appliedFiles(res); len(got) != 1 || got[0] != "2_more-success.sql" || res.AlreadyApplied != 1 {
				t.Fatalf("applied %v (already applied %d), want only 2_more-success.sql", got, res.AlreadyApplied)
			}
			if !tableExists(t, db, "more_success") || ids(trackingRows(t, db)) != "0,1,2" {
				t.Fatalf("more_success missing or rows %s", ids(trackingRows(t, db)))
			}
		})
	}
}

func TestFixtureHashCheck(t *testing.T) {
	for _, prefix := range []string{"", "mft/"} {
		t.Run(prefix+"hash-check", func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			mustApply(t, db, os.DirFS(peerDir(t, prefix+"hash-check", "first-run")))
			_, err := apply(t, db, os.DirFS(peerDir(t, prefix+"hash-check", "second-run")))
			var ierr *migrator.IntegrityError
			if !errors.As(err, &ierr) || len(ierr.Changed) != 1 {
				t.Fatalf("err = %v, want an integrity error", err)
			}
			c := ierr.Changed[0]
			if c.File != "1_migration.sql" || c.StoredHash != "c4ac02f4a8d226e9a1729726381c92b4882c42d4" ||
				c.CurrentHash != "c0db2d2c0274415cb5b1812dbc66964dd9600917" {
				t.Fatalf("mismatch = %+v", c)
			}
			for _, want := range []string{"1_migration.sql (id 1): changed since it was applied", "stored hash c4ac02f4", "file hash c0db2d2c"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestFixtureHashCheckDisabled(t *testing.T) {
	for _, dir := range []string{"mft/hash-check-disable", "mft/hash-check-disable-transaction-disable"} {
		t.Run(dir, func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			mustApply(t, db, os.DirFS(peerDir(t, dir, "first-run")))
			before := trackingRows(t, db)
			res := mustApply(t, db, os.DirFS(peerDir(t, dir, "second-run")))
			if len(res.Applied) != 0 || len(res.HashCheckSkipped) != 1 || res.HashCheckSkipped[0].File != "1_migration.sql" {
				t.Fatalf("applied %v, hash check skipped %+v; want nothing run and one skipped check", appliedFiles(res), res.HashCheckSkipped)
			}
			after := trackingRows(t, db)
			if len(after) != 2 || after[1] != before[1] || after[1].Hash != "ccbc7d74f7d059596bf1f1db5ea4797ce1753729" {
				t.Fatalf("stored rows changed: before %+v after %+v", before, after)
			}
		})
	}
}

func TestFixtureInvalidFiles(t *testing.T) {
	tests := []struct{ dir, file, problem string }{
		{"invalid-file-name", "migrate-this.sql", "name must begin with an integer id"},
		{"mft/no-prefix", "migrate-this.sql", "name must begin with an integer id"},
		{"negative", "-1_negative.sql", "negative id"},
		{"mft/negative", "-1_negative.sql", "negative id"},
		{"non-consecutive", "3_third.sql", "gap in numbering: id 3 follows 1"},
		{"mft/non-consecutive", "3_third.sql", "gap in numbering: id 3 follows 1"},
		{"start-from-2", "2-first.sql", "first id is 2"},
		{"mft/start-from-2", "2-first.sql", "first id is 2"},
		{"unit/conflict", "1_create-table.sql", "id 1 is also used by 1_add-column.sql"},
		// Its 1_success.js was not copied; alone the folder starts at 2.
		{"success-second-mixed-js-sql", "2_more-success.sql", "first id is 2"},
		// pgmig needs an id in every migration file name.
		{"unit/run-migration", "normal.sql", "name must begin with an integer id"},
		{"mft/unit/run-migration", "no-transaction.sql", "name must begin with an integer id"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			// New does no database I/O: a nil-free but unusable DB proves it.
			_, err := migrator.New(unreachableDB(t), os.DirFS(peerDir(t, tt.dir)))
			var ferr *migrator.FileError
			if !errors.As(err, &ferr) {
				t.Fatalf("err = %v, want *FileError", err)
			}
			if !strings.Contains(err.Error(), tt.file+": "+tt.problem) {
				t.Fatalf("error does not name %s with %q:\n%v", tt.file, tt.problem, err)
			}
		})
	}
}

func TestFixtureRollback(t *testing.T) {
	for _, dir := range []string{"rollback", "mft/rollback"} {
		t.Run(dir, func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			res, err := apply(t, db, os.DirFS(peerDir(t, dir)))
			var merr *migrator.MigrationError
			if !errors.As(err, &merr) || merr.Migration.File != "1_trigger-rollback.sql" || merr.SQLState != "22P02" {
				t.Fatalf("err = %v, want a MigrationError for 1_trigger-rollback.sql with SQLSTATE 22P02", err)
			}
			if !strings.Contains(err.Error(), "the migration was rolled back and not recorded") {
				t.Errorf("error does not say it rolled back:\n%v", err)
			}
			if len(res.Applied) != 0 || tableExists(t, db, "should_get_rolled_back") {
				t.Fatal("the failed migration left effects")
			}
			if got := ids(trackingRows(t, db)); got != "0" {
				t.Fatalf("tracking rows %s, want only row 0 committed", got)
			}
			if lockHeld(t, db) {
				t.Fatal("lock still held after failure")
			}
		})
	}
}

func TestFixtureSyntaxError(t *testing.T) {
	for _, dir := range []string{"syntax-error", "mft/syntax-error"} {
		t.Run(dir, func(t *testing.T) {
			db := migratortest.NewDatabase(t).DB
			_, err := apply(t, db, os.DirFS(peerDir(t, dir)))
			var merr *migrator.MigrationError
			if !errors.As(err, &merr) {
				t.Fatalf("err = %v, want *MigrationError", err)
			}
			if merr.SQLState != "42601" || merr.Line != 1 || merr.Column != 8 {
				t.Fatalf("SQLSTATE %s at %d:%d, want 42601 at 1:8", merr.SQLState, merr.Line, merr.Column)
			}
			want := "migration 1_syntax.sql (id 1) failed at line 1, column 8: syntax error at or near \"TUBLE\" (SQLSTATE 42601)\n" +
				"LINE 1: CREATE TUBLE syntax_error (\n" +
				"               ^"
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error =\n%s\nwant prefix\n%s", err, want)
			}
		})
	}
}

func TestFixtureConcurrent(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	mustApply(t, db, os.DirFS(peerDir(t, "concurrent")))
	if !tableExists(t, db, "concurrent") {
		t.Fatal("table concurrent not created")
	}
}

// TestFixtureUnitRunMigration replays unit/run-migration: normal.sql runs in
// a transaction, no-transaction.sql (CREATE INDEX CONCURRENTLY) outside one.
// pgmig needs numbered names, so the files are given ids here.
func TestFixtureUnitRunMigration(t *testing.T) {
	for _, dir := range []string{"unit/run-migration", "mft/unit/run-migration"} {
		t.Run(dir, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			normal, err := os.ReadFile(peerDir(t, dir, "normal.sql"))
			if err != nil {
				t.Fatal(err)
			}
			noTx, err := os.ReadFile(peerDir(t, dir, "no-transaction.sql"))
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{
				"1_eggs.sql":           {Data: []byte("CREATE TABLE eggs (color int);\n")},
				"2_normal.sql":         {Data: normal},
				"3_no-transaction.sql": {Data: noTx},
			}
			mustApply(t, d.DB, fsys)
			var valid bool
			if err := d.DB.QueryRow(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'thingy_idx'::regclass`).Scan(&valid); err != nil || !valid {
				t.Fatalf("thingy_idx valid=%v err=%v", valid, err)
			}
		})
	}
}

// TestFixtureTimeout replays mft/timeout: a migration that outlives its
// deadline is cancelled; nothing of it is recorded and the lock is free.
func TestFixtureTimeout(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := newMigrator(t, db, os.DirFS(peerDir(t, "mft/timeout"))).Apply(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if got := ids(trackingRows(t, db)); got != "0" {
		t.Fatalf("tracking rows %s, want only row 0", got)
	}
	// When the deadline also cut the unlock short, pgmig closes its
	// connection; the server ends that session a moment later.
	for deadline := time.Now().Add(5 * time.Second); lockHeld(t, db); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("lock still held")
		}
	}
}

// TestFixtureMftLockAndLoad replays mft/lock and mft/migrations-to-load.
// pgmig has no migration_locks table (it uses the advisory lock) and no
// partial load option, so both folders simply apply in full.
func TestFixtureMftLockAndLoad(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	mustApply(t, db, os.DirFS(peerDir(t, "mft/lock")))
	if !tableExists(t, db, "test_table") {
		t.Fatal("mft/lock: test_table missing")
	}
	db2 := migratortest.NewDatabase(t).DB
	res := mustApply(t, db2, os.DirFS(peerDir(t, "mft/migrations-to-load")))
	if len(res.Applied) != 3 || !tableExists(t, db2, "load_third") {
		t.Fatalf("mft/migrations-to-load: applied %v", appliedFiles(res))
	}
}
