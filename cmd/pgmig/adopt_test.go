package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/adopt/adopttest"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// adoptFiles are three migrations; the other tool ran the first two.
var adoptFiles = map[string]string{
	"0001_users.sql":  "CREATE TABLE users (id int);\n",
	"0002_orders.sql": "CREATE TABLE orders (id int);\n",
	"0003_items.sql":  "CREATE TABLE items (id int);\n",
}

// ranByTool makes d a database where layout's tool applied files 1 and 2.
func ranByTool(t *testing.T, db *sql.DB, layout string) {
	t.Helper()
	l := adopttest.ByName(layout)
	for _, q := range []string{l.Create, adoptFiles["0001_users.sql"], adoptFiles["0002_orders.sql"], l.Record("1", "2")} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
}

// Without --yes adopt shows the plan and writes nothing; with --yes it
// writes, apply runs only the rest, verify passes, and a rerun writes
// nothing.
func TestAdoptCommand(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ranByTool(t, d.DB, "goose")
	dir := writeMigrations(t, adoptFiles)

	code, stdout, stderr := pgmig(t, "--url", d.DSN, "adopt", "--from", "goose", dir)
	if code != exitOK {
		t.Fatalf("adopt (plan) exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"goose history in public.goose_db_version, pgmig's tracking table migrations:",
		"VERSION  FILE             IN GOOSE",
		"0003_items.sql   not applied",
		"dry run, nothing was written: --yes records 2 migrations as applied, without running them, in migrations (creating it); 1 pending migration left for 'pgmig apply'",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, stdout)
		}
	}
	if relationExists(t, d.DB, "migrations") {
		t.Fatal("adopt without --yes created the tracking table")
	}

	// --yes never comes from the environment.
	code, stdout, _ = pgmigWith(t, runOptions{env: map[string]string{"PGMIG_YES": "true"}}, "--url", d.DSN, "adopt", "--from", "goose", dir)
	if code != exitOK || !strings.Contains(stdout, "dry run") || relationExists(t, d.DB, "migrations") {
		t.Fatalf("PGMIG_YES=true wrote (exit %d):\n%s", code, stdout)
	}

	code, stdout, stderr = pgmig(t, "--url", d.DSN, "adopt", "--from", "goose", "--yes", dir)
	if code != exitOK || !strings.Contains(stdout, "recorded 2 migrations as applied, without running them, in public.migrations (created); 1 pending migration left for 'pgmig apply'") {
		t.Fatalf("adopt --yes exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0001_users.sql   applied ") || !strings.Contains(stdout, "recorded") {
		t.Errorf("adopt --yes output:\n%s", stdout)
	}
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK || !strings.Contains(stdout, "0003_items.sql") || strings.Contains(stdout, "0001_users.sql") {
		t.Fatalf("apply after adopt: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := pgmig(t, "--url", d.DSN, "verify", dir); code != exitOK {
		t.Fatalf("verify after adopt: exit %d\n%s", code, stderr)
	}
	code, stdout, _ = pgmig(t, "--url", d.DSN, "adopt", "--from", "goose", "--yes", dir)
	if code != exitOK || !strings.Contains(stdout, "nothing to record") {
		t.Fatalf("second adopt --yes: exit %d\n%s", code, stdout)
	}
}

// An unclean state: exit 17, every problem, a hint, nothing written; the
// JSON document lists the problems.
func TestAdoptCommandRefusesUncleanState(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ranByTool(t, d.DB, "golang-migrate")
	if _, err := d.DB.Exec(`UPDATE schema_migrations SET version = 3, dirty = true`); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, adoptFiles)
	code, _, stderr := pgmig(t, "--url", d.DSN, "adopt", "--from", "golang-migrate", "--yes", dir)
	if code != exitAdoptUnclean {
		t.Fatalf("exit %d, want %d\n%s", code, exitAdoptUnclean, stderr)
	}
	for _, want := range []string{
		"golang-migrate history in public.schema_migrations cannot be adopted (1 problem); nothing was written:",
		"version 3: dirty:",
		"hint: repair the database by hand where the dirty migration stopped, then mark it with golang-migrate ('migrate force VERSION')",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if relationExists(t, d.DB, "migrations") {
		t.Fatal("a refused adoption created the tracking table")
	}

	code, stdout, _ := pgmig(t, "--url", d.DSN, "adopt", "--from", "golang-migrate", "--json", dir)
	var doc struct {
		OK    bool `json:"ok"`
		Error struct {
			Kind     string `json:"kind"`
			ExitCode int    `json:"exit_code"`
			Problems []struct {
				Kind string `json:"kind"`
			} `json:"problems"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if code != exitAdoptUnclean || doc.OK || doc.Error.Kind != "adopt-unclean" || doc.Error.ExitCode != 17 ||
		len(doc.Error.Problems) != 1 || doc.Error.Problems[0].Kind != "dirty" {
		t.Fatalf("exit %d, JSON %+v\n%s", code, doc, stdout)
	}
}

// --map, its errors with line numbers, and --from-table.
func TestAdoptCommandMapAndTable(t *testing.T) {
	d := migratortest.NewDatabase(t)
	for _, q := range []string{`CREATE SCHEMA ops`, `CREATE TABLE ops.versions (version varchar(255) primary key)`,
		`INSERT INTO ops.versions VALUES ('20240101120000'), ('20240102120000')`,
		adoptFiles["0001_users.sql"], adoptFiles["0002_orders.sql"]} {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dir := writeMigrations(t, adoptFiles)
	maps := t.TempDir()
	good := filepath.Join(maps, "good.txt")
	writeFile(t, maps, "good.txt", "# dbmate version  file\n20240101120000 0001_users.sql\n20240102120000 2\n")
	writeFile(t, maps, "bad.txt", "20240101120000 0001_users.sql\n20240102120000\n20240101120000 3\n")

	code, _, stderr := pgmig(t, "--url", d.DSN, "adopt", "--from", "dbmate", dir)
	if code != exitUsage || !strings.Contains(stderr, "dbmate history table schema_migrations not found in the search path (public)") ||
		!strings.Contains(stderr, "hint: name the table with --from-table") {
		t.Fatalf("without --from-table: exit %d\n%s", code, stderr)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "adopt", "--from", "dbmate", "--from-table", "ops.versions", dir)
	if code != exitAdoptUnclean || !strings.Contains(stderr, "--map FILE") {
		t.Fatalf("timestamps without --map: exit %d\n%s", code, stderr)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "adopt", "--from", "dbmate", "--from-table", "ops.versions", "--map", filepath.Join(maps, "bad.txt"), dir)
	if code != exitUsage || !strings.Contains(stderr, "line 2: expected VERSION FILE (two fields), found 1") ||
		!strings.Contains(stderr, "line 3: version 20240101120000 is already mapped on line 1") {
		t.Fatalf("bad map: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "adopt", "--from", "dbmate", "--from-table", "ops.versions", "--map", good, "--yes", dir)
	if code != exitOK || !strings.Contains(stdout, "20240102120000  0002_orders.sql  applied") {
		t.Fatalf("adopt with --map: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}

	// A table of the default name in another schema is named, with the flag.
	if _, err := d.DB.Exec(`CREATE TABLE ops.schema_migrations (version varchar(255) primary key)`); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "adopt", "--from", "dbmate", dir)
	if code != exitUsage || !strings.Contains(stderr, "tables of that name exist in other schemas: ops.schema_migrations") ||
		!strings.Contains(stderr, "hint: pass --from-table ops.schema_migrations") {
		t.Fatalf("default table in another schema: exit %d\n%s", code, stderr)
	}
}
