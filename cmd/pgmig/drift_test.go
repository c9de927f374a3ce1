package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// driftFolder is a small folder of migrations for the drift and schema
// tests.
var driftFolder = map[string]string{
	"1_users.sql":  "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);\n",
	"2_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users, total numeric CHECK (total >= 0));\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n",
}

func TestCLIDrift(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, driftFolder)
	dev := []string{"--dev-url", d.DSNFor("postgres")}
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pgmig(t, append([]string{"--url", d.DSN, "drift"}, append(dev, dir)...)...)
	if code != exitOK || !strings.Contains(stdout, "no drift: ") || !strings.Contains(stdout, "up to 2, built on PostgreSQL ") {
		t.Fatalf("untouched: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := d.DB.Exec("CREATE INDEX orders_total_idx ON orders (total); ALTER TABLE orders DROP CONSTRAINT orders_total_check"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = pgmig(t, append([]string{"--url", d.DSN, "drift"}, append(dev, dir)...)...)
	if code != exitDrift || !strings.Contains(stdout, "+ extra index public.orders_total_idx") ||
		!strings.Contains(stdout, "- missing constraint orders_total_check on public.orders") ||
		!strings.Contains(stdout, "migrations build") || !strings.Contains(stdout, "drift: 2 differences (1 missing, 1 extra, 0 changed)") ||
		!strings.Contains(stderr, "schema drift: 2 objects differ") {
		t.Fatalf("drifted: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = pgmig(t, append([]string{"--url", d.DSN, "drift", "--json"}, append(dev, dir)...)...)
	var rep struct {
		Drifted     bool                `json:"drifted"`
		Differences []map[string]string `json:"differences"`
		Error       struct {
			Kind string `json:"kind"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitDrift || !rep.Drifted || rep.Error.Kind != "drift" || len(rep.Differences) != 2 {
		t.Fatalf("--json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	want := map[string]string{"object_type": "index", "name": "public.orders_total_idx", "expected": "",
		"actual": "CREATE INDEX orders_total_idx ON public.orders USING btree (total)", "kind": "extra"}
	for k, v := range want {
		if rep.Differences[1][k] != v {
			t.Errorf("--json difference %s = %q, want %q", k, rep.Differences[1][k], v)
		}
	}

	// The dev server must not be the target database itself.
	code, _, stderr = pgmig(t, "--url", d.DSN, "drift", "--dev-url", d.DSN, dir)
	if code != exitUsage || !strings.Contains(stderr, "reaches the target database itself") || !strings.Contains(stderr, "hint: give --dev-url another server") {
		t.Fatalf("--dev-url on the target: exit %d\n%s", code, stderr)
	}
}

func TestCLIDriftAllAndAgainst(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, driftFolder)
	dev := d.DSNFor("postgres")
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	schemaFile := filepath.Join(t.TempDir(), "schema.sql")
	if code, stdout, stderr := pgmig(t, "schema", "--dev-url", dev, "--output", schemaFile, dir); code != exitOK || stdout != "" {
		t.Fatalf("schema --output: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := pgmig(t, "schema", "--dev-url", dev, "--check", schemaFile, dir); code != exitOK ||
		!strings.Contains(stdout, "ok: "+schemaFile+" is what the migrations build") {
		t.Fatalf("schema --check: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, dir); code != exitOK ||
		!strings.Contains(stdout, "no drift: ") {
		t.Fatalf("drift --against: exit %d\n%s%s", code, stdout, stderr)
	}

	// A new migration, not applied yet: drift builds what the database
	// applied, --all builds everything, and the committed file is stale.
	writeFile(t, dir, "3_tags.sql", "CREATE TABLE tags (id int PRIMARY KEY);\n")
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", "--dev-url", dev, dir); code != exitOK {
		t.Fatalf("drift with a pending migration: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", "--all", "--dev-url", dev, dir)
	if code != exitDrift || !strings.Contains(stdout, "- missing table public.tags") || !strings.Contains(stdout, "up to 3") {
		t.Fatalf("drift --all: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = pgmig(t, "schema", "--dev-url", dev, "--check", schemaFile, dir)
	if code != exitDrift || !strings.Contains(stdout, "- missing table public.tags") ||
		!strings.Contains(stderr, "is out of date: 2 objects differ") || !strings.Contains(stderr, "hint: regenerate it with 'pgmig schema --output") {
		t.Fatalf("stale schema --check: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := d.DB.Exec("ALTER TABLE users ADD COLUMN name text"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, "--allow-pending", dir)
	if code != exitDrift || !strings.Contains(stdout, "+ extra column public.users.name") || !strings.Contains(stdout, "against "+schemaFile) ||
		!strings.Contains(stderr, "1 object differs from "+schemaFile) || strings.Contains(stderr, "what the migrations build") {
		t.Fatalf("drift --against after a change: exit %d\n%s%s", code, stdout, stderr)
	}
	writeFile(t, filepath.Dir(schemaFile), "schema.sql", "-- pgmig gadget: x\n")
	if code, _, stderr := pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, dir); code != exitUsage || !strings.Contains(stderr, "not a schema file written by pgmig") {
		t.Fatalf("drift --against a broken file: exit %d\n%s", code, stderr)
	}
}

// TestCLIDriftMissingRole: a role the migrations grant to but the dev
// cluster lacks points to --dev-setup, which fixes it.
func TestCLIDriftMissingRole(t *testing.T) {
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	d := c.Server(t).NewDatabase(t)
	if _, err := d.DB.Exec("CREATE ROLE app_reader"); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{
		"1_t.sql":     "CREATE TABLE t (id int);\n",
		"2_grant.sql": "GRANT SELECT ON t TO app_reader;\n",
	})
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", dir)
	if code != exitSQL || !strings.Contains(stderr, `the dev server has no role "app_reader"`) ||
		!strings.Contains(stderr, "hint: roles are global objects") || !strings.Contains(stderr, "--dev-setup") {
		t.Fatalf("missing role: exit %d\n%s%s", code, stdout, stderr)
	}
	setup := filepath.Join(t.TempDir(), "roles.sql")
	writeFile(t, filepath.Dir(setup), "roles.sql", "CREATE ROLE app_reader;\n")
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "drift", "--privileges", "--dev-setup", setup, dir)
	if code != exitOK || !strings.Contains(stdout, "no drift: ") {
		t.Fatalf("with --dev-setup: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCLIDriftOtherMajor builds the dev database on another major version
// than the target's: the objects that versions print differently (the
// columns of a single-table view, the arguments of a procedure) show no
// drift.
func TestCLIDriftOtherMajor(t *testing.T) {
	d := migratortest.NewDatabase(t)
	var num int
	if err := d.DB.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	other := 0
	for _, in := range pgcluster.Installations() {
		if in.Major != num/10000 {
			other = in.Major
			break
		}
	}
	if other == 0 {
		t.Skipf("no PostgreSQL installed but the target's %d", num/10000)
	}
	dir := writeMigrations(t, map[string]string{
		"1_users.sql": driftFolder["1_users.sql"],
		"2_logic.sql": "CREATE VIEW user_emails AS SELECT id, email FROM users WHERE email LIKE '%@%';\n" +
			"CREATE PROCEDURE forget(uid bigint) LANGUAGE sql AS $$ DELETE FROM users WHERE id = uid $$;\n",
	})
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", "--privileges", "--dev-major", fmt.Sprint(other), dir)
	if code != exitOK || !strings.Contains(stdout, fmt.Sprintf("built on PostgreSQL %d.", other)) {
		t.Fatalf("dev on %d, target on %d: exit %d\n%s%s", other, num/10000, code, stdout, stderr)
	}
}

// TestCLIDriftMissingExtension: an extension the dev server lacks is
// named, with a hint.
func TestCLIDriftMissingExtension(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_ext.sql": "CREATE EXTENSION pgmig_no_such_extension;\n"})
	code, stdout, stderr := pgmig(t, "schema", "--dev-url", d.DSNFor("postgres"), dir)
	// PostgreSQL 15 and later say the extension is not available; older
	// ones name the control file they could not open.
	named := strings.Contains(stderr, `extension "pgmig_no_such_extension" is not available`) ||
		strings.Contains(stderr, `pgmig_no_such_extension.control": No such file`)
	if code != exitSQL || !named ||
		!strings.Contains(stderr, "hint: the dev server (PostgreSQL ") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCLIDriftBadDevURL: a --dev-url that does not parse or cannot be
// reached is named as --dev-url, not as --url.
func TestCLIDriftBadDevURL(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, driftFolder)
	code, _, stderr := pgmig(t, "--url", d.DSN, "drift", "--dev-url", "notaurl%%", dir)
	if code != exitUsage || !strings.Contains(stderr, "(from --dev-url)") {
		t.Errorf("unparsable --dev-url: exit %d\n%s", code, stderr)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "drift", "--dev-url", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable", dir)
	if code != exitConnect || !strings.Contains(stderr, "settings from --dev-url") || strings.Contains(stderr, "settings from --url") {
		t.Errorf("unreachable --dev-url: exit %d\n%s", code, stderr)
	}
}

// TestCLIDriftSetupRoleExists: roles are global, so on a --dev-url server
// that already has the role, a setup's plain CREATE ROLE fails; the hint
// says how to write it so that it runs on any server.
func TestCLIDriftSetupRoleExists(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec(`DO $$ BEGIN CREATE ROLE pgmig_drift_dup; EXCEPTION WHEN duplicate_object THEN NULL; END $$`); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, driftFolder)
	setup := filepath.Join(t.TempDir(), "setup.sql")
	if err := os.WriteFile(setup, []byte("CREATE ROLE pgmig_drift_dup;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := pgmig(t, "--url", d.DSN, "drift", "--all", "--dev-url", d.DSNFor("postgres"), "--dev-setup", setup, dir)
	if code != exitSQL || !strings.Contains(stderr, "hint: roles are global") || !strings.Contains(stderr, "duplicate_object") {
		t.Errorf("setup creating an existing role: exit %d\n%s", code, stderr)
	}
}

// TestCLIDriftDevMissingSchema: a tracking table (or migration) in a
// schema that exists on the target before the first migration fails on
// the dev database; the hint points to --dev-setup.
func TestCLIDriftDevMissingSchema(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE SCHEMA ops"); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, driftFolder)
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--table", "ops.migrations", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr := pgmig(t, "--url", d.DSN, "drift", "--table", "ops.migrations", "--dev-url", d.DSNFor("postgres"), dir)
	if code != exitSQL || !strings.Contains(stderr, `schema "ops" does not exist`) || !strings.Contains(stderr, "hint: ") || !strings.Contains(stderr, "--dev-setup") {
		t.Errorf("tracking table in a schema the dev database lacks: exit %d\n%s", code, stderr)
	}
}

// TestCLIDriftAgainstPending: drift --against is a gate like verify: it
// fails on pending migrations (exit 8) unless --allow-pending, then warns
// that the schema file describes them all, and on an applied file that
// changed (exit 4), before it compares anything.
func TestCLIDriftAgainstPending(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, driftFolder)
	schemaFile := filepath.Join(t.TempDir(), "schema.sql")
	if code, stdout, stderr := pgmig(t, "schema", "--dev-url", d.DSNFor("postgres"), "--output", schemaFile, dir); code != exitOK {
		t.Fatalf("schema: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--to", "1", dir); code != exitOK {
		t.Fatalf("apply --to 1: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, dir)
	if code != exitPending || stdout != "" || !strings.Contains(stderr, "pending") {
		t.Errorf("--against with a pending migration: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, "--allow-pending", dir)
	if code != exitDrift || !strings.Contains(stderr, "1 migration pending") || !strings.Contains(stdout, "- missing") ||
		!strings.Contains(stdout, "    schema file has ") {
		t.Errorf("--against --allow-pending with a pending migration: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = pgmig(t, "--url", d.DSN, "drift", "--json", "--against", schemaFile, dir)
	if code != exitPending || !strings.Contains(stdout, `"exit_code": 8`) {
		t.Errorf("--json --against with a pending migration: exit %d\n%s", code, stdout)
	}

	// An applied file changed: exit 4 as verify, also with --allow-pending.
	if code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	const first = "1_users.sql"
	writeFile(t, dir, first, driftFolder[first]+"-- edited after it was applied\n")
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "drift", "--against", schemaFile, "--allow-pending", dir)
	if code != exitIntegrity || stdout != "" || !strings.Contains(stderr, first) {
		t.Errorf("--against with a changed applied file: exit %d\n%s%s", code, stdout, stderr)
	}
}
