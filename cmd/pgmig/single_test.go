package main

import (
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestCLISingleTransaction(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{
		"1_a.sql": "CREATE TABLE a (id int);\n",
		"2_b.sql": "CREATE TABLE b (id int);\n",
		"3_c.sql": "SELECT 1 / 0;\n",
	})
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--single-transaction", dir)
	if code != exitSQL || !strings.Contains(stderr, "the single transaction of all pending migrations was rolled back: none of them was applied") ||
		relationExists(t, d.DB, "a") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	writeFile(t, dir, "3_c.sql", "SELECT 1;\n")
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "apply", "--single-transaction", "--json", dir)
	if code != exitOK || !strings.Contains(stdout, `"single_transaction": true`) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	writeFile(t, dir, "4_d.sql", "CREATE TABLE d (id int);\n")
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--single-transaction", dir); code != exitOK ||
		!strings.Contains(stdout, "1 applied in one transaction in ") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	writeFile(t, dir, "5_cic.sql", "-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY d_id ON d (id);\n")
	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", "--single-transaction", dir)
	if code != exitUsage || !strings.Contains(stderr, "5_cic.sql carries disable-transaction") ||
		!strings.Contains(stderr, "hint: apply without --single-transaction") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
