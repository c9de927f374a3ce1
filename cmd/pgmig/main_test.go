package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestMain(m *testing.M) {
	code := migratortest.Main(m)
	removeBinary()
	os.Exit(code)
}

// TestConnEnvCoversLibpq: every variable lib/pq reads is cleared by the
// environment rule.
func TestConnEnvCoversLibpq(t *testing.T) {
	typ := reflect.TypeFor[pq.Config]()
	var tags int
	for i := range typ.NumField() {
		env := typ.Field(i).Tag.Get("env")
		if env == "" || env == "-" || !typ.Field(i).IsExported() {
			continue
		}
		tags++
		if !slices.Contains(connEnv, env) {
			t.Errorf("lib/pq reads %s (pq.Config.%s), which connEnv does not clear", env, typ.Field(i).Name)
		}
	}
	if tags < 20 {
		t.Fatalf("only %d env tags on pq.Config: has lib/pq changed how it reads the environment?", tags)
	}
}

// TestEnvironmentRule: with every connection variable set to something
// that breaks a connection, runs in-process and of the binary see none of
// it.
func TestEnvironmentRule(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	for _, k := range connEnv {
		t.Setenv(k, "pgmig-bogus")
	}
	// Without the rule the variables break the run: the check can fail.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--url", d.DSN, "plan", dir}, &stdout, &stderr); code == exitOK {
		t.Fatalf("the bogus variables do not break a run without the rule:\n%s", stderr.String())
	}
	if code, _, stderr := pgmig(t, "--url", d.DSN, "plan", dir); code != exitOK {
		t.Errorf("in-process: exit %d\n%s", code, stderr)
	}
	for _, k := range connEnv { // pgmig cleared them for its run only
		t.Setenv(k, "pgmig-bogus")
	}
	p := startPgmig(t, "--url", d.DSN, "plan", dir)
	if code := p.wait(t); code != exitOK {
		t.Errorf("binary: exit %d\n%s", code, p.stderr.String())
	}
}

func TestApplyExampleAndLogs(t *testing.T) {
	d := migratortest.NewDatabase(t)
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "--log-format", "json", "apply", "../../testdata/example")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "applied  0003_index-orders-online.sql") || !strings.Contains(stdout, "4 applied in ") {
		t.Errorf("stdout = %q", stdout)
	}
	var applied []map[string]any
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		switch ev["message"] {
		case "applied migration":
			applied = append(applied, ev)
		case "applied 4 migrations":
			summary = ev
		}
	}
	if len(applied) != 4 || applied[0]["id"] != 1.0 || applied[0]["name"] != "create-users" || applied[0]["duration"] == nil {
		t.Fatalf("applied events = %v", applied)
	}
	if summary == nil || summary["applied"] != 4.0 {
		t.Fatalf("no summary event in:\n%s", stderr)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", "../../testdata/example")
	if code != 0 || !strings.Contains(stderr, "nothing to apply") {
		t.Fatalf("rerun: exit %d\n%s", code, stderr)
	}
}

func TestExitCodes(t *testing.T) {
	d := migratortest.NewDatabase(t)
	good := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no folder argument", []string{"apply"}, exitUsage, `expected "<dir>"`},
		{"bad duration", []string{"apply", "--lock-wait", "soon", good}, exitUsage, "lock-wait"},
		{"unknown flag", []string{"apply", "--frobnicate", good}, exitUsage, "unknown flag"},
		{"missing folder", []string{"--url", d.DSN, "apply", "/nonexistent/migrations"}, exitInvalidFiles, "no such file or directory"},
		{"file instead of folder", []string{"--url", d.DSN, "apply", "../../testdata/example/0001_create-users.sql"}, exitInvalidFiles, "is a file, not a folder"},
		{"broken files", []string{"--url", d.DSN, "apply", "../../testdata/broken/many"}, exitInvalidFiles, "3 problems in migration files"},
		{"refused port", []string{"--url", "host=127.0.0.1 port=1 sslmode=disable", "apply", good}, exitConnect, "cannot connect to the database"},
		{"missing database", []string{"--url", d.DSNFor("pgmig_no_such_db"), "apply", good}, exitConnect, "create it with 'pgmig createdb' or pass --create-db"},
		{"bad sslmode", []string{"--url", "host=127.0.0.1 sslmode=sometimes", "apply", good}, exitUsage, "invalid connection settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := pgmig(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d; stderr does not contain %q?\n%s", code, tt.code, tt.stderr, stderr)
			}
		})
	}
}

func TestExitCodesAgainstDatabase(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// Integrity: the applied file changed.
	os.WriteFile(filepath.Join(dir, "1_a.sql"), []byte("CREATE TABLE a (id bigint);"), 0o644)
	code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir)
	if code != exitIntegrity || !strings.Contains(stderr, "1_a.sql (id 1): changed since it was applied") {
		t.Fatalf("changed file: exit %d\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "1_a.sql"), []byte("CREATE TABLE a (id int);"), 0o644)
	// SQL failure with the caret under the error.
	os.WriteFile(filepath.Join(dir, "2_b.sql"), []byte("SELECT 1;\nSELEC 2;\n"), 0o644)
	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", dir)
	if code != exitSQL || !strings.Contains(stderr, "LINE 2: SELEC 2;\n        ^") {
		t.Fatalf("SQL failure: exit %d\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "2_b.sql"), []byte("SELECT 2;\n"), 0o644)
	// Lock wait: another session holds the lock.
	holder := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	start := time.Now()
	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", "--lock-wait", "1s", dir)
	if code != exitLockTimeout || !strings.Contains(stderr, "timed out waiting for the migration lock") || !strings.Contains(stderr, "held by pid") {
		t.Fatalf("lock wait: exit %d\n%s", code, stderr)
	}
	if waited := time.Since(start); waited < time.Second || waited > 5*time.Second {
		t.Errorf("lock wait took %s for --lock-wait 1s", waited)
	}
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != 0 {
		t.Fatalf("after unlock: exit %d\n%s", code, stderr)
	}
}

func TestApplicationName(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_app.sql": "CREATE TABLE app AS SELECT current_setting('application_name') AS name;"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var name string
	if err := d.DB.QueryRow("SELECT name FROM app").Scan(&name); err != nil || name != "pgmig" {
		t.Fatalf("application_name = %q (%v)", name, err)
	}
}

func TestCreatedb(t *testing.T) {
	d := migratortest.NewDatabase(t)
	admin, err := sql.Open("postgres", d.DSNFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	const name = `pgmig We"ird; DROP DATABASE x`
	migratortest.Shared(t).DropDatabaseLater(t, name)
	code, _, stderr := pgmig(t, "--url", d.DSN, "createdb", name)
	if code != 0 || !strings.Contains(stderr, "created database") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 1 {
		t.Fatalf("database not created (%v)", err)
	}
	code, _, stderr = pgmig(t, "--url", d.DSN, "createdb", name)
	if code != 0 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("second createdb: exit %d\n%s", code, stderr)
	}
	// apply --create-db creates the database of the connection settings.
	const fresh = "pgmig_created_by_apply"
	migratortest.Shared(t).DropDatabaseLater(t, fresh)
	code, _, stderr = pgmig(t, "--url", d.DSNFor(fresh), "apply", "--create-db", "../../testdata/example")
	if code != 0 {
		t.Fatalf("apply --create-db: exit %d\n%s", code, stderr)
	}
	// A maintenance database that does not exist is a connection error.
	code, _, stderr = pgmig(t, "--url", d.DSN, "createdb", "--maintenance-db", "nope", "x")
	if code != exitConnect || !strings.Contains(stderr, `"nope" does not exist`) {
		t.Fatalf("bad maintenance db: exit %d\n%s", code, stderr)
	}
}

func TestConnectionPrecedence(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;"})
	bad := "host=127.0.0.1 port=1 sslmode=disable"
	env := map[string]string{"DATABASE_URL": bad, "PGMIG_DATABASE_URL": d.DSN}
	if code, _, stderr := pgmigWith(t, runOptions{env: env}, "apply", dir); code != 0 {
		t.Fatalf("PGMIG_DATABASE_URL not preferred over DATABASE_URL: exit %d\n%s", code, stderr)
	}
	env["PGMIG_DATABASE_URL"] = bad
	if code, _, stderr := pgmigWith(t, runOptions{env: env}, "--url", d.DSN, "apply", dir); code != 0 {
		t.Fatalf("--url not preferred: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := pgmigWith(t, runOptions{env: env}, "apply", dir); code != exitConnect || !strings.Contains(stderr, "settings from PGMIG_DATABASE_URL") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	const secret = "Sentinel-Pa55word"
	dir := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;"})
	cases := [][]string{
		{"--url", "postgres://app:" + secret + "@127.0.0.1:1/db?sslmode=disable", "apply", dir},
		{"--url", "postgres://app:" + secret + "@127.0.0.1:notaport/db", "apply", dir},
		{"--url", "host=127.0.0.1 port=1 user=app password='" + secret + "' sslmode=disable", "createdb"},
		{"--url", "host=127.0.0.1 port=1 password=" + secret + " sslmode=bogus", "apply", dir},
		{"--log-level", "debug", "--url", "postgres://app:" + secret + "@127.0.0.1:1/db?sslmode=disable", "apply", "--create-db", dir},
	}
	for _, args := range cases {
		code, stdout, stderr := pgmig(t, args...)
		if code == 0 {
			t.Errorf("%v succeeded", args)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("password printed for %v:\n%s%s", args, stdout, stderr)
		}
	}
	_, stdout, stderr := pgmigWith(t, runOptions{env: map[string]string{"PGPASSWORD": secret}},
		"--url", "host=127.0.0.1 port=1 sslmode=disable", "apply", dir)
	if strings.Contains(stdout+stderr, secret) {
		t.Errorf("PGPASSWORD printed:\n%s", stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, stdout, _ := pgmig(t, "--help")
	if code != 0 || !strings.Contains(stdout, "Exit codes:") || !strings.Contains(stdout, "130  interrupted") {
		t.Fatalf("--help: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = pgmig(t, "apply", "--help")
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--lock-wait") {
		t.Fatalf("apply --help: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = pgmig(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "pgmig ") {
		t.Fatalf("version: exit %d %q", code, stdout)
	}
}
