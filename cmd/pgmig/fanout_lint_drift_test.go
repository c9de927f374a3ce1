package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/drift"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// lintFleetMigrations are the files of the lint and drift fan-out tests:
// migration 3 builds an index without CONCURRENTLY on a table an earlier
// migration made, a lint error wherever 3 is pending.
var lintFleetMigrations = map[string]string{
	"1_create-users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
	"2_add-name.sql":     "ALTER TABLE users ADD COLUMN name text;\n",
	"3_index-email.sql":  "CREATE INDEX users_email ON users (email);\n",
	"4_create-audit.sql": "CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL);\n",
}

// unreachableTarget is a target line where nothing listens.
const unreachableTarget = "postgres://nobody:hunter2secret@127.0.0.1:1/gone?sslmode=disable&connect_timeout=5"

// lintFleetDoc is the --json document of lint, apply --lint and drift
// over many targets.
type lintFleetDoc struct {
	Command string `json:"command"`
	OK      bool   `json:"ok"`
	Targets []struct {
		Target     string         `json:"target"`
		Schema     string         `json:"schema"`
		Result     string         `json:"result"`
		Applied    *int           `json:"applied"`
		PGVersion  int            `json:"pg_version"`
		MeasuredOn string         `json:"measured_on"`
		Files      *int           `json:"files"`
		Counts     map[string]int `json:"counts"`
		Findings   *[]struct {
			File      string `json:"file"`
			Rule      string `json:"rule"`
			Severity  string `json:"severity"`
			SizeBytes *int64 `json:"size_bytes"`
			Lock      string `json:"lock"`
			Rewrite   bool   `json:"rewrite"`
			Measured  bool   `json:"measured"`
		} `json:"findings"`
		BuiltTo     *int                `json:"built_to"`
		Objects     *int                `json:"objects"`
		Drifted     *bool               `json:"drifted"`
		Differences *[]drift.Difference `json:"differences"`
		Error       *struct {
			Kind     string `json:"kind"`
			ExitCode int    `json:"exit_code"`
		} `json:"error"`
	} `json:"targets"`
	Counts map[string]int `json:"counts"`
	Rerun  []string       `json:"rerun"`
	Error  *struct {
		Kind     string `json:"kind"`
		ExitCode int    `json:"exit_code"`
	} `json:"error"`
}

func decodeLintFleet(t *testing.T, stdout string) lintFleetDoc {
	t.Helper()
	return decodeDoc[lintFleetDoc](t, stdout)
}

// lintFleet makes one fresh database per entry of applied, with the
// migrations of dir applied up to that id, and returns them with a
// targets file listing each (with a password the trust server ignores),
// then an unreachable target when unreachable is set.
func lintFleet(t *testing.T, dir string, applied []int, unreachable bool) ([]*migratortest.Database, string) {
	t.Helper()
	var dbs []*migratortest.Database
	lines := []string{"# the fleet"}
	for _, to := range applied {
		d := migratortest.NewDatabase(t)
		dbs = append(dbs, d)
		if code, _, stderr := pgmig(t, "apply", "--url", d.DSN, "--to", fmt.Sprint(to), dir); code != exitOK {
			t.Fatalf("apply --to %d: exit %d\n%s", to, code, stderr)
		}
		lines = append(lines, d.DSN+" password=hunter2secret")
	}
	if unreachable {
		lines = append(lines, unreachableTarget)
	}
	targets := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dbs, targets
}

// lint over a targets file lints each target's pending migrations alone:
// the one where migration 3 is pending fails with exit 15 and its
// finding, the others are clean, an unreachable target fails on its own,
// and no password is printed.
func TestFanoutLintTargets(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	dbs, targets := lintFleet(t, dir, []int{3, 2, 3}, true)

	code, stdout, stderr := pgmig(t, "lint", "--targets", targets, "-j", "2", "--json", dir)
	if strings.Contains(stdout+stderr, "hunter2secret") {
		t.Fatalf("a password was printed:\n%s\n%s", stdout, stderr)
	}
	if code != exitLint {
		t.Fatalf("exit %d, want %d (a lint error, more severe than a connection)\n%s\n%s", code, exitLint, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if doc.Command != "lint" || doc.OK || len(doc.Targets) != 4 || doc.Error == nil || doc.Error.Kind != "lint" {
		t.Fatalf("document: %+v", doc)
	}
	for _, i := range []int{0, 2} {
		tg := doc.Targets[i]
		if tg.Result != "ok" || tg.Findings == nil || len(*tg.Findings) != 0 || tg.Files == nil || *tg.Files != 1 || tg.PGVersion < 12 {
			t.Errorf("target %d (%s, migration 4 pending): %+v, want ok with 1 file linted and no finding", i, tg.Target, tg)
		}
	}
	bad := doc.Targets[1]
	if bad.Result != "failed" || bad.Error == nil || bad.Error.ExitCode != exitLint || bad.Files == nil || *bad.Files != 2 || bad.Counts["error"] != 1 {
		t.Fatalf("target 1 (migrations 3 and 4 pending): %+v", bad)
	}
	if f := (*bad.Findings)[0]; f.Rule != "create-index-blocking" || f.File != filepath.ToSlash(filepath.Join(dir, "3_index-email.sql")) || f.SizeBytes == nil {
		t.Errorf("target 1: finding %+v, want create-index-blocking in 3_index-email.sql with the size of users", f)
	}
	if e := doc.Targets[3].Error; doc.Targets[3].Result != "failed" || e == nil || e.ExitCode != exitConnect {
		t.Errorf("unreachable target: %+v", doc.Targets[3])
	}
	if len(doc.Rerun) != 2 || doc.Rerun[0] != bad.Target || !strings.HasSuffix(doc.Rerun[1], "/gone") {
		t.Errorf("rerun %v, want target 1 and the unreachable one", doc.Rerun)
	}
	if !relationExists(t, dbs[1].DB, "users") || relationExists(t, dbs[1].DB, "audit") {
		t.Error("lint changed target 1")
	}

	// The human output: the findings under the target's name, then the
	// summary table with the counts and the targets to run again.
	code, stdout, _ = pgmig(t, "lint", "--targets", targets, dir)
	if code != exitLint {
		t.Fatalf("text: exit %d, want %d\n%s", code, exitLint, stdout)
	}
	head := bad.Target + ": 1 error, 0 warnings in 2 migration files"
	for _, want := range []string{head, "3_index-email.sql:1:29: error: create-index-blocking", "ERRORS", "WARNINGS",
		"failed (lint)", "4 targets: 2 ok, 2 failed or not started", "run again for: " + bad.Target + " nobody@127.0.0.1:1/gone"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if i, j := strings.Index(stdout, head), strings.Index(stdout, "create-index-blocking"); i < 0 || j < i {
		t.Errorf("the finding is not under its target's name:\n%s", stdout)
	}
	if strings.Contains(stdout, doc.Targets[0].Target+":") {
		t.Errorf("a clean target has a findings heading:\n%s", stdout)
	}
}

// lint --each-schema lints each tenant's pending migrations, reading
// sizes through the search path set to the tenant's schema.
func TestFanoutLintEachSchema(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	_, env := tenantFleet(t, dir, 4)
	doc, _ := lintTenants(t, env, "--json", dir)
	for i, want := range []struct {
		schema, result string
		files          int
	}{{"acme", "ok", 1}, {"globex", "failed", 2}, {"initech", "ok", 0}} {
		tg := doc.Targets[i]
		if tg.Schema != want.schema || tg.Result != want.result || tg.Files == nil || *tg.Files != want.files {
			t.Errorf("target %d: %s %s with %v files linted, want %s %s with %d", i, tg.Schema, tg.Result, tg.Files, want.schema, want.result, want.files)
		}
	}
	if f := doc.Targets[1].Findings; f == nil || len(*f) != 1 || (*f)[0].SizeBytes == nil {
		t.Errorf("globex: findings %+v, want one with the size of globex.users (found through its search path)", f)
	}
}

// apply --lint over many targets: a target whose migrations to apply
// have a lint error gets nothing applied and fails with exit 15; the
// others are migrated.
func TestFanoutApplyLint(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	dbs, targets := lintFleet(t, dir, []int{3, 2, 3}, false)
	code, stdout, stderr := pgmig(t, "apply", "--lint", "--targets", targets, "--json", dir)
	if code != exitLint {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLint, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if len(doc.Targets) != 3 {
		t.Fatalf("document: %+v", doc)
	}
	for i, want := range []string{"ok", "failed", "ok"} {
		if got := doc.Targets[i].Result; got != want {
			t.Errorf("target %d: %s, want %s", i, got, want)
		}
	}
	if f := doc.Targets[1].Findings; f == nil || len(*f) != 1 || (*f)[0].Rule != "create-index-blocking" {
		t.Errorf("target 1: findings %+v", f)
	}
	for i, d := range dbs {
		if got, want := relationExists(t, d.DB, "audit"), i != 1; got != want {
			t.Errorf("database %d: audit exists %v, want %v", i, got, want)
		}
	}
	if relationExists(t, dbs[1].DB, "users_email") {
		t.Error("database 1: migration 3 was applied despite its lint error")
	}
}

// drift --against over many targets: the file is compared with each; the
// one with an index made by hand fails with exit 16 and names it, the
// others are clean, an unreachable target fails on its own.
func TestFanoutDriftAgainst(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	dbs, targets := lintFleet(t, dir, []int{4, 4, 4}, true)
	schemaFile := filepath.Join(t.TempDir(), "schema.sql")
	if code, _, stderr := pgmig(t, "schema", "--dev-url", dbs[0].DSNFor("postgres"), "--output", schemaFile, dir); code != exitOK {
		t.Fatalf("schema: exit %d\n%s", code, stderr)
	}
	if _, err := dbs[2].DB.Exec("CREATE INDEX users_name_by_hand ON users (name)"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pgmig(t, "drift", "--against", schemaFile, "--targets", targets, "--json", dir)
	if strings.Contains(stdout+stderr, "hunter2secret") {
		t.Fatalf("a password was printed:\n%s\n%s", stdout, stderr)
	}
	if code != exitDrift {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitDrift, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if doc.Command != "drift" || len(doc.Targets) != 4 || doc.Error == nil || doc.Error.Kind != "drift" {
		t.Fatalf("document: %+v", doc)
	}
	for _, i := range []int{0, 1} {
		tg := doc.Targets[i]
		if tg.Result != "ok" || tg.Drifted == nil || *tg.Drifted || tg.Differences == nil || len(*tg.Differences) != 0 || tg.Objects == nil || *tg.Objects == 0 {
			t.Errorf("target %d: %+v, want ok with no difference", i, tg)
		}
	}
	tg := doc.Targets[2]
	if tg.Result != "failed" || tg.Error == nil || tg.Error.ExitCode != exitDrift || tg.Differences == nil || len(*tg.Differences) != 1 {
		t.Fatalf("target 2: %+v", tg)
	}
	if d := (*tg.Differences)[0]; d.Kind != drift.Extra || d.Name != "public.users_name_by_hand" {
		t.Errorf("target 2: difference %+v, want the extra index public.users_name_by_hand", d)
	}
	if e := doc.Targets[3].Error; e == nil || e.ExitCode != exitConnect {
		t.Errorf("unreachable target: %+v", doc.Targets[3])
	}

	code, stdout, _ = pgmig(t, "drift", "--against", schemaFile, "--targets", targets, dir)
	for _, want := range []string{tg.Target + ":\n+ extra index public.users_name_by_hand", "DIFFERENCES", "failed (drift)",
		"4 targets: 2 ok, 2 failed", "run again for: " + tg.Target} {
		if code != exitDrift || !strings.Contains(stdout, want) {
			t.Errorf("text: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
}

// drift over many targets without --against builds each number of
// applied migrations once in a dev database and compares each target with
// its own.
func TestFanoutDriftDevBuild(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	dbs, targets := lintFleet(t, dir, []int{2, 4, 4}, false)
	if _, err := dbs[1].DB.Exec("ALTER TABLE audit ADD COLUMN note text"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pgmig(t, "drift", "--dev-url", dbs[0].DSNFor("postgres"), "--targets", targets, "--json", dir)
	if code != exitDrift {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitDrift, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if len(doc.Targets) != 3 {
		t.Fatalf("document: %+v", doc)
	}
	for i, want := range []struct {
		result  string
		builtTo int
		diffs   int
	}{{"ok", 2, 0}, {"failed", 4, 1}, {"ok", 4, 0}} {
		tg := doc.Targets[i]
		if tg.Result != want.result || tg.BuiltTo == nil || *tg.BuiltTo != want.builtTo || tg.Differences == nil || len(*tg.Differences) != want.diffs {
			t.Errorf("target %d: %+v, want %s, built to %d, %d differences", i, tg, want.result, want.builtTo, want.diffs)
		}
	}
	if n := strings.Count(stderr, "dev database built"); n != 2 {
		t.Errorf("%d dev databases built, want 2 (one per number of applied migrations)\n%s", n, stderr)
	}
}

// The flags of lint and drift that take one target are refused over many.
func TestFanoutLintDriftRefusals(t *testing.T) {
	dir := writeMigrations(t, lintFleetMigrations)
	targets := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(targets, []byte(unreachableTarget+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(t.TempDir(), "schema.sql")
	if err := os.WriteFile(schemaFile, []byte("-- not a schema file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lint", "--targets", targets, "--measure", "--offline", dir}, "--offline"},
		{[]string{"lint", "--targets", targets, "--format", "sarif", dir}, "--format sarif"},
		{[]string{"lint", "--targets", targets, "--format", "github", dir}, "--format github"},
		{[]string{"lint", "--targets", targets, "--offline", dir}, "--offline"},
		{[]string{"lint", "--targets", targets, "--each-database", "x", dir}, "give one of them"},
		{[]string{"drift", "--each-schema", "x", "--url", "host=127.0.0.1 port=1", dir}, "--each-schema"},
	} {
		code, stdout, stderr := pgmig(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("pgmig %s: exit %d, want %d and an error naming %s\n%s%s", strings.Join(tc.args, " "), code, exitUsage, tc.want, stdout, stderr)
		}
	}
	// A schema file that is not one fails before any target is reached.
	code, _, stderr := pgmig(t, "drift", "--against", schemaFile, "--targets", targets, dir)
	if code != exitUsage || strings.Contains(stderr, "cannot connect") {
		t.Errorf("bad schema file: exit %d\n%s", code, stderr)
	}
}

// A lint error or a drifted schema on one target outranks a target that
// could not be reached, and an integrity failure outranks both.
func TestFleetFailureExitCodeLintDrift(t *testing.T) {
	res := func(errs ...error) []fleet.Result[fleetRow] {
		var out []fleet.Result[fleetRow]
		for i, err := range errs {
			out = append(out, fleet.Result[fleetRow]{Target: fleet.Target{Name: fmt.Sprint("t", i)}, Err: err})
		}
		return out
	}
	connect := &migrator.ConnectError{Err: errors.New("refused")}
	linted := &lintError{errors: 1}
	drifted := &drift.Error{Differences: []drift.Difference{{Kind: drift.Extra}}}
	for _, tc := range []struct {
		results []fleet.Result[fleetRow]
		want    int
	}{
		{res(connect, linted, nil), exitLint},
		{res(drifted, connect), exitDrift},
		{res(&migrator.PendingError{}, drifted), exitDrift},
		{res(drifted, &migrator.IntegrityError{}), exitIntegrity},
		{res(linted, &migrator.MigrationError{}), exitSQL},
	} {
		if got := exitCode(fleetFailure(tc.results, context.Background())); got != tc.want {
			t.Errorf("%v: exit %d, want %d", tc.results, got, tc.want)
		}
	}
}

// tenantFleet is a database with the tenant schemas acme, globex and
// initech, globex at migration 2, acme at 3 and initech at initechTo,
// and the run options that reach it.
func tenantFleet(t *testing.T, dir string, initechTo int) (*migratortest.Database, runOptions) {
	t.Helper()
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE SCHEMA acme; CREATE SCHEMA globex; CREATE SCHEMA initech"); err != nil {
		t.Fatal(err)
	}
	env := runOptions{env: map[string]string{"PGMIG_DATABASE_URL": d.DSN}}
	for _, step := range []struct {
		pattern string
		to      int
	}{{"%e%", 2}, {"acme", 3}, {"initech", initechTo}} {
		if code, _, stderr := pgmigWith(t, env, "apply", "--each-schema", step.pattern, "--to", fmt.Sprint(step.to), dir); code != exitOK {
			t.Fatalf("apply --each-schema %s --to %d: exit %d\n%s", step.pattern, step.to, code, stderr)
		}
	}
	return d, env
}

// lintTenants runs lint --each-schema '%e%' with args over the tenants of
// tenantFleet, expects exit 15 and one entry per tenant, and returns the
// --json document and what lint wrote to stderr.
func lintTenants(t *testing.T, env runOptions, args ...string) (lintFleetDoc, string) {
	t.Helper()
	code, stdout, stderr := pgmigWith(t, env, append([]string{"lint", "--each-schema", "%e%"}, args...)...)
	if code != exitLint {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLint, stdout, stderr)
	}
	doc := decodeLintFleet(t, stdout)
	if len(doc.Targets) != 3 {
		t.Fatalf("%d targets, want acme, globex, initech\n%s", len(doc.Targets), stdout)
	}
	return doc, stderr
}
