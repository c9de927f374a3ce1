package migrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestSingleTransactionAllOrNothing(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);\n")}
	mustApply(t, d.DB, fsys)
	fsys["2_b.sql"] = file("CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n")
	fsys["3_c.sql"] = file("BEGIN;\nCREATE TABLE c (id int);\nCOMMIT;\n") // a wrapped file too
	fsys["4_broken.sql"] = file("CREATE TABLE d (id int);\nSELECT 1 / 0;\n")
	res, err := apply(t, d.DB, fsys, migrator.WithSingleTransaction(true))
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.Migration.File != "4_broken.sql" || !merr.SingleTransaction || len(res.Applied) != 0 || !res.SingleTransaction {
		t.Fatalf("res %+v, err = %v", res, err)
	}
	if !strings.Contains(err.Error(), "none of them was applied") {
		t.Errorf("error does not say that nothing stayed applied: %v", err)
	}
	for _, rel := range []string{"b", "c", "d"} {
		if tableExists(t, d.DB, rel) {
			t.Errorf("table %s stayed after the single transaction failed", rel)
		}
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1" {
		t.Fatalf("tracking rows %s, want 0,1", got)
	}
	// Fixed, the three run in one transaction, each recorded with its own
	// duration.
	fsys["4_broken.sql"] = file("CREATE TABLE d (id int);\n")
	res = mustApply(t, d.DB, fsys, migrator.WithSingleTransaction(true))
	if len(res.Applied) != 3 || !res.SingleTransaction || res.AlreadyApplied != 1 {
		t.Fatalf("res %+v", res)
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2,3,4" {
		t.Fatalf("tracking rows %s", got)
	}
	var sameTx bool
	if err := d.DB.QueryRow(`SELECT count(DISTINCT xmin::text) = 1 FROM migrations WHERE id BETWEEN 2 AND 4`).Scan(&sameTx); err != nil || !sameTx {
		t.Fatalf("rows 2 to 4 were not written by one transaction (%v)", err)
	}
}

func TestSingleTransactionRefusesDisableTransactionFiles(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{
		"1_t.sql":   file("CREATE TABLE t (id int);\n"),
		"2_cic.sql": file("-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"),
	}
	_, err := newMigrator(t, d.DB, fsys, migrator.WithSingleTransaction(true)).Apply(context.Background())
	var serr *migrator.SingleTransactionError
	if !errors.As(err, &serr) || len(serr.Files) != 1 || serr.Files[0] != "2_cic.sql" || !strings.Contains(err.Error(), "2_cic.sql carries disable-transaction") {
		t.Fatalf("err = %v", err)
	}
	if tableExists(t, d.DB, "t") || tableExists(t, d.DB, "migrations") {
		t.Fatal("something ran before the refusal")
	}
	// Up to the migration before it, one transaction is fine.
	if res, err := newMigrator(t, d.DB, fsys, migrator.WithSingleTransaction(true)).ApplyTo(context.Background(), 1); err != nil || len(res.Applied) != 1 {
		t.Fatalf("ApplyTo(1) = %+v, %v", res, err)
	}
}
