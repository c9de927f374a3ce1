package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// fleetMigrations are the files of the fan-out tests.
var fleetMigrations = map[string]string{
	"1_create-users.sql":  "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
	"2_add-name.sql":      "ALTER TABLE users ADD COLUMN name text;\n",
	"3_create-orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n",
}

// fleetDoc is the --json document of a run over many targets.
type fleetDoc struct {
	Command string `json:"command"`
	OK      bool   `json:"ok"`
	Targets []struct {
		Target         string `json:"target"`
		Schema         string `json:"schema"`
		Result         string `json:"result"`
		Applied        *int   `json:"applied"`
		AlreadyApplied *int   `json:"already_applied"`
		Pending        *int   `json:"pending"`
		Error          *struct {
			Kind     string `json:"kind"`
			ExitCode int    `json:"exit_code"`
		} `json:"error"`
	} `json:"targets"`
	Counts map[string]int `json:"counts"`
	Rerun  []string       `json:"rerun"`
	Error  *struct {
		ExitCode int `json:"exit_code"`
	} `json:"error"`
}

func decodeFleet(t *testing.T, stdout string) fleetDoc {
	t.Helper()
	return decodeDoc[fleetDoc](t, stdout)
}

// decodeDoc decodes stdout, which must be one JSON document, as a T.
func decodeDoc[T any](t *testing.T, stdout string) T {
	t.Helper()
	var doc T
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	return doc
}

// A targets file with a failing target in the middle (a migration's SQL
// error, a server that cannot be reached): the others complete, the exit
// code is the most severe failure's, the summary names the targets to run
// again, no password is printed, and a rerun once fixed finishes.
func TestFanoutTargetsFile(t *testing.T) {
	dir := writeMigrations(t, fleetMigrations)
	var dbs []*migratortest.Database
	var lines []string
	for i := range 4 {
		d := migratortest.NewDatabase(t)
		dbs = append(dbs, d)
		lines = append(lines, "# tenant "+string(rune('a'+i)), d.DSN+" password=hunter2secret")
	}
	if _, err := dbs[1].DB.Exec("CREATE TABLE orders (x int)"); err != nil {
		t.Fatal(err)
	}
	good := lines[5]
	lines[5] = "postgres://nobody:hunter2secret@127.0.0.1:1/gone?sslmode=disable&connect_timeout=5"
	targets := filepath.Join(t.TempDir(), "targets")
	write := func() {
		if err := os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()

	code, stdout, stderr := pgmig(t, "apply", "--targets", targets, "-j", "2", "--json", dir)
	if strings.Contains(stdout+stderr, "hunter2secret") {
		t.Fatalf("a password was printed:\n%s\n%s", stdout, stderr)
	}
	if code != exitSQL {
		t.Fatalf("exit %d, want %d (a migration failed, more severe than a connection)\n%s", code, exitSQL, stderr)
	}
	doc := decodeFleet(t, stdout)
	if len(doc.Targets) != 4 || doc.OK || doc.Counts["ok"] != 2 || doc.Counts["failed"] != 2 || len(doc.Rerun) != 2 {
		t.Fatalf("document: %+v", doc)
	}
	for i, want := range []string{"ok", "failed", "failed", "ok"} {
		if got := doc.Targets[i].Result; got != want {
			t.Errorf("target %d: result %s, want %s", i, got, want)
		}
	}
	if e := doc.Targets[1].Error; e == nil || e.Kind != "sql" {
		t.Errorf("target 1: error %+v, want kind sql", e)
	}
	if e := doc.Targets[2].Error; e == nil || e.ExitCode != exitConnect {
		t.Errorf("target 2: error %+v, want exit code %d", e, exitConnect)
	}
	if a := doc.Targets[1].Applied; a == nil || *a != 2 {
		t.Errorf("target 1: applied %v, want 2 before the failure", a)
	}

	// Fixed: the rerun applies what was left and exits 0.
	if _, err := dbs[1].DB.Exec("DROP TABLE orders"); err != nil {
		t.Fatal(err)
	}
	lines[5] = good
	write()
	code, stdout, stderr = pgmig(t, "apply", "--targets", targets, "-j", "2", dir)
	if code != exitOK {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"TARGET", "APPLIED", "ALREADY APPLIED", "4 targets: 4 ok"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for i, d := range dbs {
		if !relationExists(t, d.DB, "orders") {
			t.Errorf("database %d lacks orders after the rerun", i)
		}
	}
}

// --each-schema migrates every matching schema in its own tracking table;
// status and verify then see each tenant migrated, and verify fails with
// the exit code of the worst tenant.
func TestFanoutEachSchema(t *testing.T) {
	dir := writeMigrations(t, fleetMigrations)
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE SCHEMA acme; CREATE SCHEMA globex; CREATE SCHEMA initech; CREATE SCHEMA audit"); err != nil {
		t.Fatal(err)
	}
	env := runOptions{env: map[string]string{"PGMIG_DATABASE_URL": d.DSN}}
	code, stdout, stderr := pgmigWith(t, env, "apply", "--each-schema", "%e%", "--json", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	doc := decodeFleet(t, stdout)
	var schemas []string
	for _, tg := range doc.Targets {
		schemas = append(schemas, tg.Schema)
		if tg.Applied == nil || *tg.Applied != 3 {
			t.Errorf("%s: applied %v, want 3", tg.Target, tg.Applied)
		}
	}
	if strings.Join(schemas, ",") != "acme,globex,initech" {
		t.Fatalf("schemas %v, want acme, globex, initech (audit does not match)", schemas)
	}
	for _, s := range schemas {
		if !relationExists(t, d.DB, s+".orders") || !relationExists(t, d.DB, s+".migrations") {
			t.Errorf("schema %s lacks its tables", s)
		}
	}
	if relationExists(t, d.DB, "public.users") || relationExists(t, d.DB, "audit.users") {
		t.Error("tables outside the tenant schemas")
	}

	code, stdout, _ = pgmigWith(t, env, "status", "--each-schema", "%e%", dir)
	if code != exitOK || !strings.Contains(stdout, "/initech") || !strings.Contains(stdout, "3 targets: 3 ok") {
		t.Fatalf("status: exit %d\n%s", code, stdout)
	}
	// globex: a file changed since it was applied; initech: one pending.
	if _, err := d.DB.Exec("UPDATE globex.migrations SET hash = repeat('0', 40) WHERE id = 1; DELETE FROM initech.migrations WHERE id = 3"); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = pgmigWith(t, env, "verify", "--each-schema", "%e%", dir)
	if code != exitIntegrity {
		t.Fatalf("verify: exit %d, want %d\n%s", code, exitIntegrity, stdout)
	}
	if !strings.Contains(stdout, "run again for: ") || !strings.Contains(stdout, "/globex") {
		t.Errorf("verify summary:\n%s", stdout)
	}
	code, stdout, _ = pgmigWith(t, env, "plan", "--each-schema", "initech", "--json", dir)
	if doc := decodeFleet(t, stdout); code != exitOK || len(doc.Targets) != 1 || *doc.Targets[0].Pending != 1 {
		t.Fatalf("plan: exit %d\n%s", code, stdout)
	}
}

// The files are checked before any target is listed or connected to, and
// flags that do not go together are refused.
func TestFanoutRefusals(t *testing.T) {
	good := writeMigrations(t, fleetMigrations)
	bad := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;", "3_c.sql": "SELECT 3;"})
	targets := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(targets, []byte("host=127.0.0.1 port=1 sslmode=disable\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"apply", "--targets", targets, bad}, exitInvalidFiles},
		{[]string{"apply", "--targets", targets, "--each-schema", "x", good}, exitUsage},
		{[]string{"apply", "--each-schema", "x", "--table", "a.b", good}, exitUsage},
		{[]string{"apply", "--targets", targets, "--create-db", good}, exitUsage},
		{[]string{"status", "--targets", targets, "-j", "0", good}, exitUsage},
		{[]string{"apply", "--targets", "-", good}, exitUsage}, // no stdin in-process
		{[]string{"verify", "--targets", filepath.Join(t.TempDir(), "none"), good}, exitUsage},
	} {
		code, _, stderr := pgmig(t, tc.args...)
		if code != tc.want {
			t.Errorf("pgmig %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
}

// --targets - reads the targets from stdin; a bad line is named by number
// without being quoted.
func TestFanoutTargetsStdin(t *testing.T) {
	dir := writeMigrations(t, fleetMigrations)
	d := migratortest.NewDatabase(t)
	clearEnv(t)
	var out, errOut bytes.Buffer
	in := strings.NewReader("# one tenant\n" + d.DSN + "\n")
	if code := runWithStdin(in, []string{"apply", "--targets", "-", dir}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "1 targets: 1 ok") {
		t.Errorf("summary:\n%s", out.String())
	}
	out.Reset()
	errOut.Reset()
	in = strings.NewReader(d.DSN + "\npostgres://u:s3cretword@h:notaport/x\n")
	if code := runWithStdin(in, []string{"apply", "--targets", "-", dir}, &out, &errOut); code != exitUsage {
		t.Fatalf("bad line: exit %d, want %d", code, exitUsage)
	}
	if msg := errOut.String(); !strings.Contains(msg, "line 2") || strings.Contains(msg, "s3cretword") {
		t.Errorf("error for a bad line: %s", msg)
	}
}

// A run over many targets exits with the code of its most severe failure.
func TestFleetFailureExitCode(t *testing.T) {
	res := func(errs ...error) []fleet.Result[fleetRow] {
		var out []fleet.Result[fleetRow]
		for i, err := range errs {
			out = append(out, fleet.Result[fleetRow]{Target: fleet.Target{Name: fmt.Sprint("t", i)}, Err: err})
		}
		return out
	}
	connect := &migrator.ConnectError{Err: errors.New("refused")}
	for _, tc := range []struct {
		results []fleet.Result[fleetRow]
		want    int
	}{
		{res(nil, nil), exitOK},
		{res(nil, connect, &migrator.MigrationError{}, nil), exitSQL},
		{res(&migrator.PendingError{}, &migrator.IntegrityError{}), exitIntegrity},
		{res(&migrator.LockTimeoutError{}, connect), exitConnect},
		{res(connect, &fleet.SkippedError{Reason: "an earlier target failed"}), exitConnect},
	} {
		err := fleetFailure(tc.results, context.Background())
		if got := exitCode(err); got != tc.want {
			t.Errorf("%v: exit %d, want %d", err, got, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := exitCode(fleetFailure(res(connect, &fleet.SkippedError{}), ctx)); got != exitInterrupted {
		t.Errorf("cancelled run: exit %d, want %d", got, exitInterrupted)
	}
	if err := fleetFailure(res(nil, connect, nil), context.Background()); !strings.HasSuffix(err.Error(), "run again for: t1") {
		t.Errorf("message %q does not name the target to run again", err)
	}
}
