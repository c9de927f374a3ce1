package main

import (
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// TestFlagsFromEnvironment: every flag also comes from PGMIG_<FLAG>, shown
// in --help; a flag on the command line wins; the confirmations of
// destructive commands never come from the environment.
func TestFlagsFromEnvironment(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE SCHEMA ops"); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n"})
	code, stdout, stderr := pgmigWith(t, runOptions{env: map[string]string{"PGMIG_TABLE": "ops.schema_migrations", "PGMIG_JSON": "true"}},
		"--url", d.DSN, "apply", dir)
	if code != exitOK || !strings.Contains(stdout, `"table": "ops.schema_migrations"`) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !relationExists(t, d.DB, "ops.schema_migrations") || relationExists(t, d.DB, "public.migrations") {
		t.Fatal("PGMIG_TABLE was not used")
	}
	// The command line wins over the environment.
	code, stdout, stderr = pgmigWith(t, runOptions{env: map[string]string{"PGMIG_TABLE": "ops.other"}},
		"--url", d.DSN, "status", "--table", "ops.schema_migrations", dir)
	if code != exitOK || !strings.Contains(stdout, "ops.schema_migrations") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// A bad value names the variable.
	code, _, stderr = pgmigWith(t, runOptions{env: map[string]string{"PGMIG_LOCK_WAIT": "soon"}}, "--url", d.DSN, "apply", dir)
	if code != exitUsage || !strings.Contains(stderr, "PGMIG_LOCK_WAIT") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// PGMIG_YES does not confirm a drop.
	code, _, stderr = pgmigWith(t, runOptions{env: map[string]string{"PGMIG_YES": "true", "PGMIG_ALLOW_REMOTE": "true"}}, "--url", d.DSN, "dropdb")
	if code != exitRefused || !relationExists(t, d.DB, "ops.schema_migrations") {
		t.Fatalf("dropdb with PGMIG_YES: exit %d\n%s", code, stderr)
	}
	code, stdout, _ = pgmig(t, "apply", "--help")
	for _, want := range []string{"($PGMIG_TABLE)", "($PGMIG_LOCK_WAIT)", "($PGMIG_LOCK_TIMEOUT)"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("apply --help lacks %s", want)
		}
	}
	if strings.Contains(stdout, "$PGMIG_URL") || strings.Contains(stdout, "$PGMIG_VERSION") {
		t.Errorf("apply --help offers PGMIG_URL or PGMIG_VERSION:\n%s", stdout)
	}
}

// TestUnsupportedLibpqVariableNamed: a libpq variable that lib/pq refuses
// is named as coming from the environment, not blamed on the URL.
func TestUnsupportedLibpqVariableNamed(t *testing.T) {
	code, _, stderr := pgmigWith(t, runOptions{env: map[string]string{"PGGSSENCMODE": "disable"}},
		"--url", "host=127.0.0.1 port=1 sslmode=disable", "status", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "$PGGSSENCMODE is set in the environment") || strings.Contains(stderr, "from --url") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
