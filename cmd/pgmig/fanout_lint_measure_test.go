package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// measureFleetMigrations are lintFleetMigrations and a migration whose
// measured facts differ from the static ones: lint does not know abs, so
// it assumes the default rewrites users; PostgreSQL stores it in the
// catalog and rewrites nothing.
func measureFleetMigrations() map[string]string {
	files := maps.Clone(lintFleetMigrations)
	files["5_add-score.sql"] = "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT abs(-1);\n"
	return files
}

// checkMeasured checks that every finding of target i of doc that takes a
// lock was measured on the dev server, and that the default of
// 5_add-score.sql rewrites nothing there.
func checkMeasured(t *testing.T, doc lintFleetDoc, i int) {
	t.Helper()
	tg := doc.Targets[i]
	if tg.MeasuredOn == "" || tg.Findings == nil || len(*tg.Findings) == 0 {
		t.Fatalf("target %d (%s): %+v, want findings measured on the dev server", i, tg.Target, tg)
	}
	score := false
	for _, f := range *tg.Findings {
		if f.Lock != "" && !f.Measured {
			t.Errorf("target %d: finding %+v not measured", i, f)
		}
		if f.Rule == "add-column-volatile-default" {
			score = true
			if f.Rewrite || !f.Measured {
				t.Errorf("target %d: %+v, want the measured rewrite: no", i, f)
			}
		}
	}
	if !score {
		t.Errorf("target %d: no finding of 5_add-score.sql in %+v", i, *tg.Findings)
	}
}

// lint --measure over a targets file measures each target's pending
// migrations in a dev database built up to the target's last applied
// migration, one per group of targets in the same state: the measured
// facts replace the static ones, and the summary says where they were
// measured.
func TestFanoutLintMeasure(t *testing.T) {
	dir := writeMigrations(t, measureFleetMigrations())
	dbs, targets := lintFleet(t, dir, []int{4, 2, 4, 3}, false)

	// Without --measure, lint assumes abs rewrites users.
	code, stdout, stderr := pgmig(t, "lint", "--targets", targets, "--json", dir)
	if code != exitLint {
		t.Fatalf("static: exit %d, want %d\n%s\n%s", code, exitLint, stdout, stderr)
	}
	for _, f := range *decodeLintFleet(t, stdout).Targets[0].Findings {
		if f.Rule == "add-column-volatile-default" && (!f.Rewrite || f.Measured) {
			t.Fatalf("static finding %+v, want a rewrite, not measured", f)
		}
	}

	devURL := dbs[0].DSNFor("postgres")
	code, stdout, stderr = pgmig(t, "lint", "--measure", "--dev-url", devURL, "--targets", targets, "--json", dir)
	if code != exitLint {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLint, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if len(doc.Targets) != 4 {
		t.Fatalf("document: %+v", doc)
	}
	for i, files := range []int{1, 3, 1, 2} {
		tg := doc.Targets[i]
		if tg.Result != "failed" || tg.Files == nil || *tg.Files != files {
			t.Errorf("target %d: %+v, want failed with %d files linted", i, tg, files)
		}
		checkMeasured(t, doc, i)
	}
	if f := (*doc.Targets[1].Findings)[0]; f.Rule != "create-index-blocking" || !f.Measured || f.Lock != "SHARE" || f.SizeBytes == nil {
		t.Errorf("target 1: %+v, want create-index-blocking measured under SHARE, with the size of users", f)
	}
	if n := strings.Count(stderr, "dev database created"); n != 3 {
		t.Errorf("%d dev databases, want 3 (applied up to 4, 2 and 3)\n%s", n, stderr)
	}

	code, stdout, _ = pgmig(t, "lint", "--measure", "--dev-url", devURL, "--targets", targets, dir)
	version := doc.Targets[0].MeasuredOn
	for _, want := range []string{fmt.Sprintf("(PostgreSQL %d); locks, rewrites and scans measured on PostgreSQL %s", doc.Targets[0].PGVersion, version),
		"rewrite: no; scan: no (measured)", fmt.Sprintf("(measured on %s)", version)} {
		if code != exitLint || !strings.Contains(stdout, want) {
			t.Errorf("text: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
}

// lint --measure --each-schema builds each tenant's dev database with the
// tenant's search path: the setup's public.users would make migration 1
// fail where the tenant's schema did not come first.
func TestFanoutLintMeasureEachSchema(t *testing.T) {
	dir := writeMigrations(t, measureFleetMigrations())
	d, env := tenantFleet(t, dir, 5)
	setup := filepath.Join(t.TempDir(), "setup.sql")
	writeFile(t, filepath.Dir(setup), filepath.Base(setup), "CREATE SCHEMA acme; CREATE SCHEMA globex; CREATE TABLE public.users (id int);\n")
	doc, stderr := lintTenants(t, env, "--measure", "--dev-url", d.DSNFor("postgres"), "--dev-setup", setup, "--json", dir)
	for i, want := range []struct {
		schema string
		files  int
	}{{"acme", 2}, {"globex", 3}} {
		if tg := doc.Targets[i]; tg.Schema != want.schema || tg.Files == nil || *tg.Files != want.files {
			t.Errorf("target %d: %+v, want %s with %d files linted", i, tg, want.schema, want.files)
		}
		checkMeasured(t, doc, i)
	}
	if tg := doc.Targets[2]; tg.Result != "ok" || tg.MeasuredOn != "" {
		t.Errorf("initech, nothing pending: %+v, want ok and nothing measured", tg)
	}
	if n := strings.Count(stderr, "dev database created"); n != 2 {
		t.Errorf("%d dev databases, want 2 (acme and globex; initech has nothing pending)\n%s", n, stderr)
	}
}

// lint --measure over many targets, on a target where a migration is
// pending out of order (3 pending, 4 and 5 applied): the dev database is
// built up to the one before it, 2, as lint --measure does on one target,
// and 3 is measured there. Built up to the last applied one, 5, it would
// hold 3's index already, and running 3 there would fail.
func TestFanoutLintMeasureOutOfOrder(t *testing.T) {
	dir := writeMigrations(t, measureFleetMigrations())
	dbs, targets := lintFleet(t, dir, []int{5, 5}, false)
	db := openDB(t, dbs[0].DSN)
	for _, q := range []string{"DROP INDEX users_email", "DELETE FROM migrations WHERE id = 3"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	code, stdout, stderr := pgmig(t, "lint", "--measure", "--dev-url", dbs[0].DSNFor("postgres"), "--targets", targets, "--json", dir)
	if code != exitLint {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLint, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if len(doc.Targets) != 2 {
		t.Fatalf("document: %+v", doc)
	}
	tg := doc.Targets[0]
	if tg.Result != "failed" || tg.Files == nil || *tg.Files != 1 || tg.Findings == nil || len(*tg.Findings) != 1 {
		t.Fatalf("target 0: %+v, want one file linted and its one finding", tg)
	}
	if f := (*tg.Findings)[0]; f.Rule != "create-index-blocking" || !f.Measured || f.Lock != "SHARE" {
		t.Errorf("target 0: %+v, want 3's create-index-blocking measured under SHARE", f)
	}
	if tg := doc.Targets[1]; tg.Result != "ok" || tg.Findings != nil && len(*tg.Findings) > 0 {
		t.Errorf("target 1 (nothing pending): %+v", tg)
	}
	if n := strings.Count(stderr, "dev database created"); n != 1 {
		t.Errorf("%d dev databases, want 1\n%s", n, stderr)
	}
}
