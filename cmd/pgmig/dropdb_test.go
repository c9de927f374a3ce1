package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/rs/zerolog"
)

// dbWithData is a fresh database holding a table "kept" with one row.
func dbWithData(t *testing.T) *migratortest.Database {
	t.Helper()
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	return d
}

// openFresh opens dsn in a new handle, closed when t ends: the sessions of
// a handle opened before a drop are gone.
func openFresh(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// databaseExists reports whether database name exists on d's server.
func databaseExists(t *testing.T, d *migratortest.Database, name string) bool {
	t.Helper()
	var n int
	if err := openFresh(t, d.DSNFor("postgres")).QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// wantUntouched fails the test unless d still exists with its table kept
// and its row.
func wantUntouched(t *testing.T, d *migratortest.Database, what string) {
	t.Helper()
	var n int
	if err := openFresh(t, d.DSN).QueryRow("SELECT count(*) FROM kept").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%s: database %s not untouched: %d rows in kept (%v)", what, d.Name, n, err)
	}
}

// TestDropdbAndResetRefuse: without --yes (the in-process runs have no
// terminal), and on a server not on this machine even with --yes, both
// commands refuse with exit 13 and leave the database as it was. The remote
// refusals come before any connection: the address is unroutable, so a
// connection attempt would outlast the run's 10-second bound.
func TestDropdbAndResetRefuse(t *testing.T) {
	d := dbWithData(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	remote := []string{
		"host=10.255.255.1 user=postgres sslmode=disable dbname=" + d.Name,
		"postgres://postgres@10.255.255.1:5432/" + d.Name + "?sslmode=disable",
		"host=127.0.0.1,10.255.255.1 user=postgres sslmode=disable dbname=" + d.Name,
		"host=localhost hostaddr=10.255.255.1 user=postgres sslmode=disable dbname=" + d.Name,
		"host=db.example.com user=postgres sslmode=disable dbname=" + d.Name,
	}
	for _, tt := range []struct {
		name, want string
		args       []string
	}{
		{"dropdb without --yes", "pass --yes", []string{"--url", d.DSN, "dropdb"}},
		{"dropdb NAME without --yes", "pass --yes", []string{"--url", d.DSNFor("postgres"), "dropdb", d.Name}},
		{"reset without --yes", "pass --yes", []string{"--url", d.DSN, "reset", dir}},
		{"dropdb remote", "--allow-remote", []string{"--url", remote[0], "dropdb", "--yes"}},
		{"dropdb remote URL", "--allow-remote", []string{"--url", remote[1], "dropdb", "--yes"}},
		{"dropdb one host of two remote", "host 10.255.255.1 is not on this machine", []string{"--url", remote[2], "dropdb", "--yes"}},
		{"dropdb hostaddr remote", "host 10.255.255.1 is not on this machine", []string{"--url", remote[3], "dropdb", "--yes"}},
		{"dropdb host name", "host db.example.com is not on this machine", []string{"--url", remote[4], "dropdb", "--yes"}},
		{"reset remote", "--allow-remote", []string{"--url", remote[0], "reset", "--yes", dir}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := pgmigWith(t, runOptions{timeout: 10 * time.Second}, tt.args...)
			if code != exitRefused || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, exitRefused, tt.want, stdout, stderr)
			}
			wantUntouched(t, d, tt.name)
		})
	}
	// A refusal under --json is a JSON document too.
	code, stdout, _ := pgmig(t, "--url", d.DSN, "reset", "--json", dir)
	var doc struct {
		Command string
		Error   struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitRefused || doc.Command != "reset" || doc.Error.Kind != "refused" {
		t.Fatalf("reset --json refused: exit %d, %v\n%s", code, err, stdout)
	}
	wantUntouched(t, d, "reset --json")
}

// TestDropdbLocalHosts: what counts as this machine, from the settings
// alone.
func TestDropdbLocalHosts(t *testing.T) {
	for _, tt := range []struct {
		host, addr string
		local      bool
	}{
		{"localhost", "", true}, {"LOCALHOST", "", true}, {"", "", true},
		{"127.0.0.1", "", true}, {"127.8.9.10", "", true}, {"::1", "", true}, {"[::1]", "", true},
		{"::ffff:127.0.0.1", "", true},
		{"/var/run/postgresql", "", true}, {"@pgsocket", "", true},
		{"db.internal", "127.0.0.1", true}, // libpq connects to hostaddr
		{"localhost", "10.0.0.1", false},
		{"10.255.255.1", "", false}, {"192.168.1.5", "", false}, {"::2", "", false},
		{"db.internal", "", false}, {"localhost.example.com", "", false}, {"0.0.0.0", "", false},
	} {
		var addr netip.Addr
		if tt.addr != "" {
			addr = netip.MustParseAddr(tt.addr)
		}
		if got := isLocalHost(tt.host, addr); got != tt.local {
			t.Errorf("isLocalHost(%q, %q) = %v, want %v", tt.host, tt.addr, got, tt.local)
		}
	}
}

// TestDropdbEndsSessions: dropdb --yes drops the database while another
// session sits in a transaction on it, and a second dropdb finds nothing
// to drop and succeeds.
func TestDropdbEndsSessions(t *testing.T) {
	d := dbWithData(t)
	ctx := context.Background()
	conn, err := openFresh(t, d.DSN).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN; LOCK TABLE kept; SELECT 1"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "dropdb", "--yes")
	if code != 0 || stdout != "dropped database "+d.Name+"\n" {
		t.Fatalf("dropdb --yes: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if databaseExists(t, d, d.Name) {
		t.Fatal("database still exists")
	}
	code, stdout, stderr = pgmig(t, "--url", d.DSNFor("postgres"), "dropdb", "--yes", d.Name)
	if code != 0 || stdout != "database "+d.Name+" does not exist\n" {
		t.Fatalf("dropdb of a missing database: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestDropdbRefusesItsMaintenanceDatabase: the maintenance database is
// never the one dropped; by default pgmig connects to another one.
func TestDropdbRefusesItsMaintenanceDatabase(t *testing.T) {
	d := dbWithData(t)
	code, _, stderr := pgmig(t, "--url", d.DSN, "dropdb", "--yes", "--maintenance-db", d.Name)
	if code != exitUsage || !strings.Contains(stderr, "it is the database of the maintenance connection") || !strings.Contains(stderr, "hint: connect through another database") {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	wantUntouched(t, d, "dropdb --maintenance-db itself")
}

// terminalApp is an app as run builds it on a terminal, for the
// command d, with input as what the person types.
func terminalApp(t *testing.T, d *migratortest.Database, input string) (a *app, stdout, stderr *bytes.Buffer) {
	t.Helper()
	clearEnv(t)
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return &app{stdout: stdout, stderr: stderr, red: &redactor{}, log: zerolog.Nop(),
		globals: &Globals{URL: d.DSN}, confirmIn: strings.NewReader(input)}, stdout, stderr
}

// TestDropdbConfirmOnTerminal: on a terminal, the typed name decides; a
// wrong name, or none, leaves the database untouched.
func TestDropdbConfirmOnTerminal(t *testing.T) {
	ctx := context.Background()
	d := dbWithData(t)
	for _, input := range []string{"", d.Name + "x\n", strings.ToUpper(d.Name) + "\n", " " + d.Name + "\n"} {
		a, stdout, stderr := terminalApp(t, d, input)
		err := (&dropdbCmd{}).Run(ctx, a)
		var refused *refusedError
		if !errors.As(err, &refused) || stdout.Len() != 0 || !strings.Contains(stderr.String(), "Type the database name to confirm: ") {
			t.Fatalf("typed %q: %v\nstdout: %s\nstderr: %s", input, err, stdout, stderr)
		}
		wantUntouched(t, d, fmt.Sprintf("typed %q", input))
	}
	a, stdout, stderr := terminalApp(t, d, d.Name+"\r\n")
	if err := (&dropdbCmd{}).Run(ctx, a); err != nil || stdout.String() != "dropped database "+d.Name+"\n" {
		t.Fatalf("typed the name: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	if databaseExists(t, d, d.Name) {
		t.Fatal("database still exists")
	}
}

// TestResetConfirmOnTerminal: reset asks the same way, then drops,
// creates and applies.
func TestResetConfirmOnTerminal(t *testing.T) {
	ctx := context.Background()
	d := dbWithData(t)
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	a, _, stderr := terminalApp(t, d, "nope\n")
	if err := (&resetCmd{folderFlags: folderFlags{Dir: dir}}).Run(ctx, a); exitCode(err) != exitRefused ||
		!strings.Contains(stderr.String(), ", then create it and apply "+dir) {
		t.Fatalf("typed a wrong name: %v\n%s", err, stderr)
	}
	wantUntouched(t, d, "reset, wrong name")
	a, stdout, stderr := terminalApp(t, d, d.Name+"\n")
	if err := (&resetCmd{folderFlags: folderFlags{Dir: dir}}).Run(ctx, a); err != nil {
		t.Fatalf("typed the name: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	db := openFresh(t, d.DSN)
	if !relationExists(t, db, "a") || relationExists(t, db, "kept") {
		t.Fatalf("after reset: a %v, kept %v; want a only\nstdout: %s", relationExists(t, db, "a"), relationExists(t, db, "kept"), stdout)
	}
}

// TestResetRecreatesAndApplies: reset --yes on a database with data drops
// it (with a session still connected), creates it and applies the folder;
// a broken folder stops it before anything is dropped.
func TestResetRecreatesAndApplies(t *testing.T) {
	d := dbWithData(t)
	broken := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "3_c.sql": "SELECT 1;"})
	if code, _, stderr := pgmig(t, "--url", d.DSN, "reset", "--yes", broken); code != exitInvalidFiles {
		t.Fatalf("reset of a broken folder: exit %d, want %d\n%s", code, exitInvalidFiles, stderr)
	}
	wantUntouched(t, d, "reset of a broken folder")

	dir := writeMigrations(t, map[string]string{
		"1_a.sql": "CREATE TABLE a (id int);",
		"2_b.sql": "CREATE TABLE b (id int);",
		"3_c.sql": "-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);",
	})
	if _, err := d.DB.Exec("SELECT 1"); err != nil { // a session on it during the reset
		t.Fatal(err)
	}
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "reset", "--yes", dir)
	if code != 0 || !strings.HasPrefix(stdout, "dropped database "+d.Name+"\ncreated database "+d.Name+"\napplied  1_a.sql") ||
		!strings.Contains(stdout, "3 applied in") {
		t.Fatalf("reset --yes: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	db := openFresh(t, d.DSN)
	for _, rel := range []string{"a", "b", "b_id"} {
		if !relationExists(t, db, rel) {
			t.Errorf("%s missing after reset", rel)
		}
	}
	if relationExists(t, db, "kept") {
		t.Error("the old table kept survived the reset")
	}
	var ids []int
	rows, err := db.Query("SELECT id FROM migrations ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[0 1 2 3]" {
		t.Fatalf("tracking rows %v, want [0 1 2 3]", ids)
	}

	// With --json, stdout is apply's document alone; the database may be
	// missing beforehand.
	if code, _, stderr := pgmig(t, "--url", d.DSN, "dropdb", "--yes"); code != 0 {
		t.Fatalf("dropdb: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = pgmig(t, "--url", d.DSN, "reset", "--yes", "--json", "--table", "ops_migrations", dir)
	var doc struct {
		Command string
		OK      bool
		Applied []struct{ ID int }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || !doc.OK || len(doc.Applied) != 3 {
		t.Fatalf("reset --json: exit %d, %v\nstdout: %s\nstderr: %s", code, err, stdout, stderr)
	}
	if !relationExists(t, openFresh(t, d.DSN), "ops_migrations") {
		t.Error("--table not honoured")
	}
}

// TestDropdbExitCodes: the errors of dropdb and reset have their codes.
func TestDropdbExitCodes(t *testing.T) {
	if got := exitCode(&refusedError{msg: "x"}); got != exitRefused {
		t.Errorf("refusedError: exit %d", got)
	}
	if got := exitCode(withHint(fmt.Errorf("cannot drop: %w", migrator.ErrCurrentDatabase), "h")); got != exitUsage {
		t.Errorf("ErrCurrentDatabase: exit %d", got)
	}
	if got := errorKind(&refusedError{}); got != "refused" {
		t.Errorf("kind %q", got)
	}
}
