package main

import (
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// The takeover of databases that postgres-migrations left behind, as a
// person at the command line sees it.

func TestCLIWrappedFiles(t *testing.T) {
	d := migratortest.NewDatabase(t)
	code, stdout, _ := pgmig(t, "validate", "../../testdata/wrapped")
	if code != exitOK || !strings.Contains(stdout, "warning: 1_begin-commit.sql: lines 1 and 8: the file wraps its statements in BEGIN ... COMMIT") ||
		!strings.Contains(stdout, "ok: 3 migration files valid") {
		t.Fatalf("validate: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "../../testdata/wrapped")
	if code != exitOK || !strings.Contains(stdout, "3 applied") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "verify", "../../testdata/wrapped"); code != exitOK ||
		!strings.Contains(stdout, "ok: 3 migrations applied, every applied file intact") {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCLIVerifySaysHowManyHashChecksWereSkipped(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{
		"1_a.sql":    "CREATE TABLE a (id int);\n",
		"2_seed.sql": "-- pgmig disable-hash-check\nINSERT INTO a VALUES (1);\n",
	})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	writeFile(t, dir, "2_seed.sql", "-- pgmig disable-hash-check\nINSERT INTO a VALUES (1), (2);\n")
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "verify", dir)
	if code != exitOK || strings.TrimSpace(stdout) != "ok: 2 migrations applied; 1 intact, 1 changed since applied and not checked (disable-hash-check)" {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCLITableElsewhere(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n"})
	if _, err := d.DB.Exec(`CREATE SCHEMA storage; CREATE TABLE storage.migrations (id integer PRIMARY KEY,
		name varchar(100) UNIQUE NOT NULL, hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp);
		INSERT INTO storage.migrations (id, name, hash) VALUES (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df')`); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"apply", "status", "verify", "plan"} {
		code, stdout, stderr := pgmig(t, "--url", d.DSN, cmd, dir)
		if code != exitTableElsewhere || !strings.Contains(stderr, "storage.migrations (1 rows, highest id 0)") ||
			!strings.Contains(stderr, "hint: pass --table storage.migrations, or give pgmig the search path the application uses") {
			t.Errorf("%s: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
	}
	var n int
	if err := d.DB.QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("tables in public: %d, %v", n, err)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "--log-level", "info", "apply", "--table", "storage.migrations", dir)
	if code != exitOK || !strings.Contains(stdout, "1 applied") {
		t.Fatalf("apply --table: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := d.DB.Exec("DROP TABLE a; DELETE FROM storage.migrations WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := pgmig(t, "--url", d.DSN, "apply", "--json", dir); code != exitTableElsewhere ||
		!strings.Contains(stdout, `"kind": "table-elsewhere"`) || !strings.Contains(stdout, `"exit_code": 10`) {
		t.Fatalf("apply --json: exit %d\n%s", code, stdout)
	}
}

func TestCLIAppliedFileWithTypoHeaderOnlyWarns(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	// Applied under another hash than this content would have: set the
	// stored hash to what the typo file hashes to, as if
	// postgres-migrations had run it.
	typo := "-- pgmig disable-transactoin\nCREATE TABLE b (id int);\n"
	writeFile(t, dir, "2_b.sql", typo)
	if _, err := d.DB.Exec(`CREATE TABLE b (id int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DB.Exec(`INSERT INTO migrations (id, name, hash) VALUES (2, 'b', $1)`, fileHash("2_b.sql", []byte(typo))); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"status", "verify", "plan", "apply"} {
		code, stdout, stderr := pgmig(t, "--url", d.DSN, cmd, dir)
		if code != exitOK || !strings.Contains(stderr, "2_b.sql") || !strings.Contains(stderr, "already applied, so only its hash is checked") {
			t.Errorf("%s: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
	}
	// As a new migration it is refused, with the nearest header.
	writeFile(t, dir, "3_c.sql", "-- pgmig disable_hash_check\nSELECT 1;\n")
	code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir)
	if code != exitInvalidFiles || !strings.Contains(stderr, "3_c.sql: line 1: unknown header \"-- pgmig disable_hash_check\"; did you mean '-- pgmig disable-hash-check'?") {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
}
