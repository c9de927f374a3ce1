package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// replicaOpen opens dsn and closes it in t.Cleanup.
func replicaOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReplicaStandbyCLI(t *testing.T) {
	primary := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	standby := primary.StartStandby(t)
	d := primary.Server(t).NewDatabase(t)
	dir := writeMigrations(t, map[string]string{
		"1_users.sql":  "CREATE TABLE users (id int PRIMARY KEY);\n",
		"2_orders.sql": "CREATE TABLE orders (id int, user_id int REFERENCES users);\n",
	})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("apply on the primary: exit %d\n%s", code, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := standby.WaitCaughtUp(ctx, d.DB); err != nil {
		t.Fatal(err)
	}
	standbyDSN := standby.DSN(d.Name)

	// Nothing pending: refused all the same.
	code, _, stderr := pgmig(t, "--url", standbyDSN, "apply", dir)
	if code != exitReadOnly || !strings.Contains(stderr, "hot standby") || !strings.Contains(stderr, "hint: connect to the primary") {
		t.Errorf("apply on the standby, nothing pending: exit %d, want %d with \"hot standby\" and a hint to use the primary\n%s", code, exitReadOnly, stderr)
	}
	t.Logf("apply on the standby: exit %d\n%s", code, stderr)
	// A pending file: refused, and nothing applied.
	writeFile(t, dir, "3_items.sql", "CREATE TABLE items (id int);\n")
	code, _, stderr = pgmig(t, "--url", standbyDSN, "apply", dir)
	if code != exitReadOnly || !strings.Contains(stderr, "hot standby") || !strings.Contains(stderr, "primary") {
		t.Errorf("apply on the standby, one pending: exit %d, want %d\n%s", code, exitReadOnly, stderr)
	}
	code, _, stderr = pgmig(t, "--url", standbyDSN, "apply", "--json", dir)
	if code != exitReadOnly {
		t.Errorf("apply --json on the standby: exit %d, want %d\n%s", code, exitReadOnly, stderr)
	}
	if relationExists(t, d.DB, "items") {
		t.Error("the refused apply changed the primary")
	}

	// createdb: the database of the connection (it exists), and a new one.
	if code, _, stderr := pgmig(t, "--url", standbyDSN, "createdb"); code != exitReadOnly {
		t.Errorf("createdb of an existing database on the standby: exit %d, want %d\n%s", code, exitReadOnly, stderr)
	}
	const fresh = "pgmig_cli_standby_never_created"
	if code, _, stderr := pgmig(t, "--url", standbyDSN, "createdb", fresh); code != exitReadOnly || !strings.Contains(stderr, "hot standby") {
		t.Errorf("createdb of a new database on the standby: exit %d, want %d\n%s", code, exitReadOnly, stderr)
	}
	var n int
	if err := replicaOpen(t, primary.DSN("postgres")).QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", fresh).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s on the primary: count %d (%v)", fresh, n, err)
	}

	// The read-only commands work on the standby.
	code, stdout, stderr := pgmig(t, "--url", standbyDSN, "status", dir)
	if code != exitOK {
		t.Errorf("status on the standby: exit %d, want 0\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "2 applied, 1 pending") {
		t.Errorf("status on the standby does not report 2 applied, 1 pending:\n%s", stdout)
	}
	if code, _, stderr := pgmig(t, "--url", standbyDSN, "verify", dir); code != exitPending {
		t.Errorf("verify with a pending file on the standby: exit %d, want %d\n%s", code, exitPending, stderr)
	}
}

func TestPoolerTransactionModeCLI(t *testing.T) {
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n"})
	code, _, stderr := pgmig(t, "--url", b.DSN(d.Name), "apply", dir)
	if code != exitPooler || !strings.Contains(stderr, "pool_mode = session") {
		t.Fatalf("apply through transaction mode: exit %d, want %d with a hint naming pool_mode = session\n%s", code, exitPooler, stderr)
	}
	t.Logf("apply through transaction mode: exit %d\n%s", code, stderr)
	if relationExists(t, d.DB, "migrations") || relationExists(t, d.DB, "a") {
		t.Error("the refused apply created the tracking table or applied the migration")
	}
	if lockHolders(t, d.DB) > 0 {
		t.Error("the refused apply left the migration lock held")
	}
	// Session mode in front of the same database works.
	s := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{PoolMode: migratortest.PoolModeSession})
	if code, _, stderr := pgmig(t, "--url", s.DSN(d.Name), "apply", dir); code != exitOK {
		t.Fatalf("apply through session mode: exit %d\n%s", code, stderr)
	}
	if !relationExists(t, d.DB, "a") {
		t.Error("apply through session mode did not apply 1_a.sql")
	}
}

// TestPoolerTransactionModeNoopCLI: with every migration applied, apply
// through transaction mode writes nothing and so skips the second
// connection; with one server connection its unlock reaches the lock's
// process, so it exits 0 and leaves no lock. Status and verify read
// without a lock through transaction mode as before.
func TestPoolerTransactionModeNoopCLI(t *testing.T) {
	d := migratortest.NewDatabase(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "apply", dir); code != exitOK {
		t.Fatalf("direct apply: exit %d\n%s", code, stderr)
	}
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	if code, _, stderr := pgmig(t, "--url", b.DSN(d.Name), "apply", dir); code != exitOK {
		t.Fatalf("no-op apply through transaction mode with one server connection: exit %d, want %d\n%s", code, exitOK, stderr)
	}
	if n := lockHolders(t, d.DB); n > 0 {
		t.Fatalf("the no-op apply left the migration lock held (%d holders)", n)
	}
	if code, stdout, stderr := pgmig(t, "--url", b.DSN(d.Name), "status", dir); code != exitOK || !strings.Contains(stdout, "1 applied") {
		t.Errorf("status through transaction mode: exit %d, want %d and 1 applied\n%s%s", code, exitOK, stdout, stderr)
	}
	if code, _, stderr := pgmig(t, "--url", b.DSN(d.Name), "verify", dir); code != exitOK {
		t.Errorf("verify through transaction mode: exit %d, want %d\n%s", code, exitOK, stderr)
	}
	pending := writeMigrations(t, map[string]string{
		"1_a.sql": "CREATE TABLE a (id int);\n",
		"2_b.sql": "CREATE TABLE b (id int);\n",
	})
	if code, _, stderr := pgmig(t, "--url", b.DSN(d.Name), "verify", pending); code != exitPending {
		t.Errorf("verify with a pending file through transaction mode: exit %d, want %d\n%s", code, exitPending, stderr)
	}
	if n := lockHolders(t, d.DB); n > 0 || relationExists(t, d.DB, "b") {
		t.Errorf("status or verify left %d lock holders or applied 2_b.sql", n)
	}
}
