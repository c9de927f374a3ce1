package migrator_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/hashcheck"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// The cases of taking over databases that postgres-migrations left behind:
// files it accepted, tracking tables it put in other schemas, sessions that
// migrations change. Each rule has a folder under testdata/.

// testdataDir returns a folder of the repository's testdata.
func testdataDir(name string) string { return filepath.Join("..", "testdata", name) }

// recordApplied writes tracking rows for files as postgres-migrations would
// have after running them: its table layout (no duration_ms), row 0, and the
// raw file hashes. table is schema-qualified.
func recordApplied(t *testing.T, db *sql.DB, table string, fsys fs.FS, files ...string) {
	t.Helper()
	_, err := db.Exec(`CREATE TABLE IF NOT EXISTS ` + table + ` (
		id integer PRIMARY KEY,
		name varchar(100) UNIQUE NOT NULL,
		hash varchar(40) NOT NULL,
		executed_at timestamp DEFAULT current_timestamp)`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO ` + table + ` (id, name, hash) VALUES (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		content, err := fs.ReadFile(fsys, f)
		if err != nil {
			t.Fatal(err)
		}
		var id int
		var name string
		if _, err := fmt.Sscanf(f, "%d_%s", &id, &name); err != nil {
			t.Fatalf("file name %s: %v", f, err)
		}
		name = strings.TrimSuffix(name, ".sql")
		if _, err := db.Exec(`INSERT INTO `+table+` (id, name, hash) VALUES ($1, $2, $3)`, id, name, hashcheck.Sum(f, content)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWrappedFilesRunInPgmigsTransaction(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := os.DirFS(testdataDir("wrapped"))
	res, err := migrator.Validate(fsys)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(res.Warnings) != 3 {
		t.Fatalf("warnings = %+v, want one per wrapped file", res.Warnings)
	}
	for _, w := range res.Warnings {
		if !strings.Contains(w.Problem, "wraps its statements in") {
			t.Errorf("warning %+v does not describe the wrapper", w)
		}
	}
	applied := mustApply(t, d.DB, fsys)
	if len(applied.Applied) != 3 {
		t.Fatalf("applied %v", appliedFiles(applied))
	}
	// The hash is that of the file as it is, wrapper included.
	for _, r := range trackingRows(t, d.DB)[1:] {
		m := applied.Applied[r.ID-1]
		content, err := fs.ReadFile(fsys, m.File)
		if err != nil {
			t.Fatal(err)
		}
		if r.Hash != hashcheck.Sum(m.File, content) {
			t.Errorf("%s recorded with hash %s, want the raw file's", m.File, r.Hash)
		}
	}
	for _, rel := range []string{"accounts", "audit"} {
		if !tableExists(t, d.DB, rel) {
			t.Errorf("table %s missing", rel)
		}
	}
	if _, err := d.DB.Exec("SELECT credit(1, 10)"); err != nil {
		t.Errorf("function of 2_start-transaction.sql: %v", err)
	}
	if res := mustApply(t, d.DB, fsys); len(res.Applied) != 0 || res.AlreadyApplied != 3 {
		t.Fatalf("second run: %+v", res)
	}
}

// TestWrappedFileCommitsWithItsRow: the file's own COMMIT must not commit
// early. If it did, the table would survive the failure of the bookkeeping
// insert that follows it.
func TestWrappedFileCommitsWithItsRow(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_steals-its-id.sql": file("BEGIN;\nCREATE TABLE early (id int);\n" +
		"INSERT INTO migrations (id, name, hash) VALUES (1, 'someone-else', 'x');\nCOMMIT;\n")}
	_, err := apply(t, d.DB, fsys)
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "23505" {
		t.Fatalf("err = %v, want the duplicate key of the bookkeeping row", err)
	}
	if tableExists(t, d.DB, "early") {
		t.Fatal("the file's COMMIT committed its statements without the bookkeeping row")
	}
	if got := ids(trackingRows(t, d.DB)); got != "0" {
		t.Fatalf("tracking rows %s, want only row 0", got)
	}
}

func TestTransactionControlInsideTheFileRefused(t *testing.T) {
	d := migratortest.NewDatabase(t)
	for name, src := range map[string]string{
		"commit midway":            "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
		"rollback":                 "BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;\n",
		"two wrappers":             "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n",
		"isolation mode":           "BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (id int);\nCOMMIT;\n",
		"commit and chain":         "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT AND CHAIN;\n",
		"release savepoint misuse": "CREATE TABLE a (id int);\nRELEASE SAVEPOINT nothing;\nCOMMIT;\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := apply(t, d.DB, fstest.MapFS{"1_x.sql": file(src)})
			var ferr *migrator.FileError
			if !errors.As(err, &ferr) {
				t.Fatalf("err = %v, want *FileError", err)
			}
			if tableExists(t, d.DB, "a") {
				t.Fatal("something ran")
			}
		})
	}
}

// TestAppliedFilesOnlyComparedByHash: files that postgres-migrations ran
// but pgmig would refuse as new migrations stop nothing once applied.
func TestAppliedFilesOnlyComparedByHash(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{
		"1_cic-in-transaction.sql": file("CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n"),
		"2_commit-midway.sql":      file("CREATE TABLE u (id int);\nCOMMIT;\nCREATE TABLE v (id int);\n"),
		"3_typo-header.sql":        file("-- pgmig disable-transactoin\nCREATE TABLE w (id int);\n"),
		"4_psql.sql":               file("\\set ON_ERROR_STOP on\nCREATE TABLE x (id int);\n"),
		"5_new.sql":                file("CREATE TABLE y (id int);\n"),
	}
	recordApplied(t, d.DB, "public.migrations", fsys, "1_cic-in-transaction.sql", "2_commit-midway.sql", "3_typo-header.sql", "4_psql.sql")
	ctx := context.Background()
	var logs bytes.Buffer
	m := newMigrator(t, d.DB, fsys, migrator.WithLogger(jsonLogger(&logs)))

	st, err := m.Status(ctx)
	if err != nil || st.Count(migrator.StateApplied) != 4 || st.Count(migrator.StatePending) != 1 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if len(st.Warnings) != 4 {
		t.Fatalf("status warnings = %+v, want one per applied file", st.Warnings)
	}
	for _, w := range st.Warnings {
		if !strings.Contains(w.Problem, "already applied, so only its hash is checked") {
			t.Errorf("warning %+v", w)
		}
	}
	if _, err := m.Verify(ctx, migrator.VerifyOptions{AllowPending: true}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p, err := m.Plan(ctx, 0); err != nil || len(p.Pending) != 1 || len(p.Warnings) != 4 {
		t.Fatalf("Plan = %+v, %v", p, err)
	}
	res, err := m.Apply(ctx)
	if err != nil || len(res.Applied) != 1 || res.Applied[0].File != "5_new.sql" {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	if !strings.Contains(logs.String(), "3_typo-header.sql") || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("no warning logged for the applied file with a typo header:\n%s", logs.String())
	}
	if _, err := m.Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Fatalf("Verify after apply: %v", err)
	}

	// The same files pending are refused, every problem at once, before
	// anything runs.
	fresh := migratortest.NewDatabase(t)
	_, err = apply(t, fresh.DB, fsys)
	var ferr *migrator.FileError
	if !errors.As(err, &ferr) || len(ferr.Problems) != 4 {
		t.Fatalf("err = %v, want 4 problems", err)
	}
	for _, want := range []string{"CREATE INDEX CONCURRENTLY cannot run inside a transaction block", "line 2: COMMIT",
		"unknown header \"-- pgmig disable-transactoin\"; did you mean '-- pgmig disable-transaction'", `"\\set ON_ERROR_STOP on" is a psql meta-command`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if tableExists(t, fresh.DB, "t") || tableExists(t, fresh.DB, "migrations") {
		t.Fatal("something ran before the files were refused")
	}
	// Status and Verify report the pending problems too, with the result.
	st, err = newMigrator(t, fresh.DB, fsys).Status(ctx)
	if !errors.As(err, &ferr) || st == nil || st.Count(migrator.StatePending) != 5 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	// A target below the broken files runs what it can.
	ok := fstest.MapFS{"1_fine.sql": file("CREATE TABLE fine (id int);"), "2_commit.sql": file("COMMIT;")}
	if res, err := newMigrator(t, fresh.DB, ok).ApplyTo(ctx, 1); err != nil || len(res.Applied) != 1 {
		t.Fatalf("ApplyTo(1) = %+v, %v", res, err)
	}
}

func TestUnknownHeaderInPendingFile(t *testing.T) {
	d := migratortest.NewDatabase(t)
	for header, nearest := range map[string]string{
		"-- pgmig disable-transactoin":         "disable-transaction",
		"-- pgmig disable_hash_check":          "disable-hash-check",
		"-- postgres-migrations disable-trans": "disable-transaction",
		"--disable_transaction":                "disable-transaction",
	} {
		_, err := apply(t, d.DB, fstest.MapFS{"1_cic.sql": file(header + "\nCREATE TABLE t (id int);\n")})
		var ferr *migrator.FileError
		if !errors.As(err, &ferr) || len(ferr.Problems) != 1 || ferr.Problems[0].File != "1_cic.sql" ||
			!strings.Contains(ferr.Problems[0].Problem, "line 1: unknown header") ||
			!strings.Contains(ferr.Problems[0].Problem, "did you mean '-- pgmig "+nearest+"'") {
			t.Errorf("%s: err = %v", header, err)
		}
	}
	if tableExists(t, d.DB, "t") {
		t.Fatal("a file with an unknown header ran")
	}
}

func TestPsqlRestrictLinesSkipped(t *testing.T) {
	d := migratortest.NewDatabase(t)
	src := "\\restrict abc\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n\\unrestrict abc\n"
	fsys := fstest.MapFS{
		"1_dump.sql":    file(src),
		"2_dump-nt.sql": file("-- pgmig disable-transaction\n\\restrict k\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n\\unrestrict k\n"),
	}
	mustApply(t, d.DB, fsys)
	rows := trackingRows(t, d.DB)
	if ids(rows) != "0,1,2" || rows[1].Hash != hashcheck.Sum("1_dump.sql", []byte(src)) {
		t.Fatalf("rows %+v", rows)
	}
	if !tableExists(t, d.DB, "t_id") {
		t.Fatal("index of the disable-transaction file missing")
	}
	// A SQL error keeps its line and column: the skipped lines stay lines.
	_, err := apply(t, d.DB, fstest.MapFS{"1_dump.sql": file(src), "2_dump-nt.sql": fsys["2_dump-nt.sql"],
		"3_bad.sql": file("\\restrict k\nSELECT nosuchcolumn FROM t;\n")})
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.Line != 2 || merr.Column != 8 {
		t.Fatalf("err = %v", err)
	}
}

func TestTableInAnotherSchemaNotRecreated(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := os.DirFS(testdataDir("table-elsewhere"))
	// As the application runs it: search_path storage, public.
	if _, err := d.DB.Exec("CREATE SCHEMA storage; SET search_path TO storage, public;" +
		"CREATE TABLE objects (id text PRIMARY KEY, bucket text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());" +
		"RESET search_path"); err != nil {
		t.Fatal(err)
	}
	recordApplied(t, d.DB, "storage.migrations", fsys, "0001_create-objects.sql", "0002_object-trigger.sql")
	ctx := context.Background()
	m := newMigrator(t, d.DB, fsys)

	wantElsewhere := func(what string, err error) {
		t.Helper()
		var ee *migrator.TableElsewhereError
		if !errors.As(err, &ee) || len(ee.Found) != 1 || ee.Found[0] != (migrator.FoundTable{Table: "storage.migrations", Readable: true, Rows: 3, HighestID: 2}) {
			t.Fatalf("%s: err = %v, want a TableElsewhereError naming storage.migrations (3 rows, highest id 2)", what, err)
		}
		for _, want := range []string{"tracking table migrations not found in the search path (public)", "storage.migrations (3 rows, highest id 2)", "nothing was created or applied"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error lacks %q: %v", what, want, err)
			}
		}
	}
	res, err := m.Apply(ctx)
	wantElsewhere("Apply", err)
	if len(res.Applied) != 0 || tableExists(t, d.DB, "public.migrations") || tableExists(t, d.DB, "public.objects") {
		t.Fatal("Apply created or applied something")
	}
	_, err = m.Status(ctx)
	wantElsewhere("Status", err)
	_, err = m.Verify(ctx, migrator.VerifyOptions{})
	wantElsewhere("Verify", err)
	_, err = m.Plan(ctx, 0)
	wantElsewhere("Plan", err)

	// Given the application's search path (set for the database here),
	// pgmig continues the table it finds there.
	if _, err := d.DB.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " SET search_path = storage, public"); err != nil {
		t.Fatal(err)
	}
	viaPath, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer viaPath.Close()
	res = mustApply(t, viaPath, fsys)
	if len(res.Applied) != 1 || res.Applied[0].ID != 3 || res.AlreadyApplied != 2 || res.Table != "storage.migrations" {
		t.Fatalf("with the search path: %+v", res)
	}
	// So does an explicit table, from a session without that search path.
	publicOnly, err := sql.Open("postgres", d.DSN+" search_path=public")
	if err != nil {
		t.Fatal(err)
	}
	defer publicOnly.Close()
	res = mustApply(t, publicOnly, fsys, migrator.WithTable("storage.migrations"))
	if len(res.Applied) != 0 || res.AlreadyApplied != 3 || res.Table != "storage.migrations" {
		t.Fatalf("with the table given: %+v", res)
	}
	if tableExists(t, d.DB, "public.migrations") {
		t.Fatal("public.migrations was created")
	}
}

func TestExplicitTableCreatedDespiteTablesElsewhere(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}
	if _, err := d.DB.Exec("CREATE SCHEMA old"); err != nil {
		t.Fatal(err)
	}
	recordApplied(t, d.DB, "old.schema_versions", fsys, "1_a.sql")
	// Another name, but postgres-migrations' row 0: found too.
	_, err := apply(t, d.DB, fsys)
	var ee *migrator.TableElsewhereError
	if !errors.As(err, &ee) || len(ee.Found) != 1 || ee.Found[0].Table != "old.schema_versions" {
		t.Fatalf("err = %v", err)
	}
	var logs bytes.Buffer
	res := mustApply(t, d.DB, fsys, migrator.WithTable("public.migrations"), migrator.WithLogger(jsonLogger(&logs)))
	if len(res.Applied) != 1 || !tableExists(t, d.DB, "public.migrations") {
		t.Fatalf("explicit table not created: %+v", res)
	}
	if !strings.Contains(logs.String(), "old.schema_versions (2 rows, highest id 1)") {
		t.Fatalf("log does not mention the table found elsewhere:\n%s", logs.String())
	}
}

func TestTrackingTableWithoutRow0GetsIt(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec(`CREATE TABLE migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL,
		hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp)`); err != nil {
		t.Fatal(err)
	}
	mustApply(t, d.DB, fstest.MapFS{})
	rows := trackingRows(t, d.DB)
	if len(rows) != 1 || rows[0] != (row{0, "create-migrations-table", "e18db593bcde2aca2a408c4d1100f6abba2195df"}) {
		t.Fatalf("rows = %+v, want row 0", rows)
	}
}

// TestPgDumpBaseline applies testdata/pgdump-baseline: a real pg_dump
// --schema-only output as migration 1 (it empties search_path for its
// session), then migrations with unqualified names.
func TestPgDumpBaseline(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := os.DirFS(testdataDir("pgdump-baseline"))
	res := mustApply(t, d.DB, fsys)
	if len(res.Applied) != 3 {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	checkBaselineData(t, d.DB)
	if res := mustApply(t, d.DB, fsys); res.AlreadyApplied != 3 || len(res.Applied) != 0 {
		t.Fatalf("second run %+v", res)
	}
}

func checkBaselineData(t *testing.T, db *sql.DB) {
	t.Helper()
	var total, refunded float64
	if err := db.QueryRow(`SELECT public.customer_total(1), public.refunded(1)`).Scan(&total, &refunded); err != nil {
		t.Fatal(err)
	}
	if total != 10 || refunded != 2.5 {
		t.Fatalf("total %v, refunded %v", total, refunded)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM public.customer_totals`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("view: %d, %v", n, err)
	}
}

// TestLivePgDumpBaseline dumps a database with the installed pg_dump and
// uses the output as migration 1, so the baseline test follows the
// pg_dump release of the machine (\restrict lines and all).
func TestLivePgDumpBaseline(t *testing.T) {
	src := migratortest.NewDatabase(t)
	mustApply(t, src.DB, os.DirFS(testdataDir("pgdump-baseline")))
	dump, ok := migratortest.DumpSchema(t, src, "--exclude-table=public.migrations")
	if !ok {
		return
	}
	dir := t.TempDir()
	files := map[string][]byte{"0001_baseline.sql": dump}
	for _, f := range []string{"0002_refunds.sql", "0003_seed.sql"} {
		b, err := os.ReadFile(filepath.Join(testdataDir("pgdump-baseline"), f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	// The dump holds the tables of 0002 already: drop them from the first
	// migration's point of view by replacing 0002 with a no-op that uses
	// unqualified names.
	files["0002_refunds.sql"] = []byte("CREATE TABLE refund_notes (refund_id integer REFERENCES refunds (id), note text);\n")
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := migratortest.NewDatabase(t)
	res := mustApply(t, d.DB, os.DirFS(dir))
	if len(res.Applied) != 3 || !tableExists(t, d.DB, "public.refund_notes") {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	checkBaselineData(t, d.DB)
	t.Logf("pg_dump output of %d bytes, \\restrict lines: %v", len(dump), bytes.Contains(dump, []byte("\n\\restrict ")))
}

// TestSessionDefaultsBetweenMigrations: what a migration SETs for its
// session ends with it, in transactional and disable-transaction files.
func TestSessionDefaultsBetweenMigrations(t *testing.T) {
	d := migratortest.NewDatabase(t)
	role := "pgmig_ro_" + strings.TrimPrefix(d.Name, "pgmig_test_")
	role = role[:min(len(role), 60)]
	t.Cleanup(func() { _, _ = d.DB.Exec("DROP ROLE IF EXISTS " + pq.QuoteIdentifier(role)) })
	q := pq.QuoteIdentifier(role)
	connect, err := pq.NewConnector(d.DSN + " application_name=deployer")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connect)
	defer db.Close()
	fsys := fstest.MapFS{
		// A role that may not write the tracking table: the bookkeeping row
		// must be written as the connecting role.
		"1_role.sql": file("CREATE ROLE " + q + " NOLOGIN;\nCREATE SCHEMA elsewhere;\n" +
			"SET ROLE " + q + ";\nSET application_name = 'hijacked';\nSET search_path TO elsewhere;\nSET statement_timeout = '1ms';\n"),
		"2_who.sql": file("CREATE TABLE who AS SELECT current_user::text AS u, session_user::text AS s, current_setting('application_name') AS app,\n" +
			"  current_setting('statement_timeout') AS st, current_schema() AS sch, pg_sleep(0.01) IS NULL AS slept;\n"),
		"3_nontx.sql":     file("-- pgmig disable-transaction\nSET SESSION AUTHORIZATION " + q + ";\nSET search_path TO elsewhere;\n"),
		"4_who-again.sql": file("CREATE TABLE who_again AS SELECT current_user::text AS u, session_user::text AS s, current_schema() AS sch;\n"),
	}
	res := mustApply(t, db, fsys)
	if len(res.Applied) != 4 {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	var u, s, app, st, sch string
	if err := d.DB.QueryRow("SELECT u, s, app, st, sch FROM public.who").Scan(&u, &s, &app, &st, &sch); err != nil {
		t.Fatal(err)
	}
	if u != "postgres" || s != "postgres" || app != "deployer" || st != "0" || sch != "public" {
		t.Fatalf("migration 2 ran as %s/%s, application_name %q, statement_timeout %s, schema %s", u, s, app, st, sch)
	}
	if err := d.DB.QueryRow("SELECT u, s, sch FROM public.who_again").Scan(&u, &s, &sch); err != nil {
		t.Fatal(err)
	}
	if u != "postgres" || s != "postgres" || sch != "public" {
		t.Fatalf("after the disable-transaction file: %s/%s, schema %s", u, s, sch)
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2,3,4" {
		t.Fatalf("rows %s", got)
	}
}

// TestTimeoutNamesTheSetting: a database-level statement_timeout that
// cancels a long migration is named in the error, with where it comes from.
func TestTimeoutNamesTheSetting(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " SET statement_timeout = '150ms'"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = apply(t, db, fstest.MapFS{"1_slow.sql": file("CREATE TABLE t (id int);\nSELECT pg_sleep(5);\n")})
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "57014" || merr.Timeout == nil ||
		*merr.Timeout != (migrator.TimeoutSetting{Name: "statement_timeout", Value: "150ms", Source: "database", After: 150 * time.Millisecond}) {
		t.Fatalf("err = %v (timeout %+v)", err, merr)
	}
	if !strings.Contains(err.Error(), "statement_timeout = 150ms, set for the database (ALTER DATABASE ... SET)") {
		t.Fatalf("error does not name the setting: %v", err)
	}

	// The same set for the deploying role.
	roleName := "pgmig_deploy_" + d.Name[max(0, len(d.Name)-40):]
	role := pq.QuoteIdentifier(roleName)
	t.Cleanup(func() { _, _ = d.DB.Exec("DROP OWNED BY " + role + "; DROP ROLE IF EXISTS " + role) })
	for _, stmt := range []string{
		"ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " RESET statement_timeout",
		"DROP TABLE public.migrations",
		"CREATE ROLE " + role + " LOGIN",
		"ALTER ROLE " + role + " SET statement_timeout = '120ms'",
		"GRANT CREATE ON DATABASE " + pq.QuoteIdentifier(d.Name) + " TO " + role,
		"GRANT CREATE, USAGE ON SCHEMA public TO " + role,
	} {
		if _, err := d.DB.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	deployer, err := sql.Open("postgres", d.DSN+" user="+roleName)
	if err != nil {
		t.Fatal(err)
	}
	defer deployer.Close()
	_, err = apply(t, deployer, fstest.MapFS{"1_slow.sql": file("CREATE TABLE t (id int);\nSELECT pg_sleep(5);\n")})
	if !errors.As(err, &merr) || merr.Timeout == nil || merr.Timeout.Source != "user" ||
		!strings.Contains(err.Error(), "statement_timeout = 120ms, set for the role (ALTER ROLE ... SET)") {
		t.Fatalf("role-level: err = %v", err)
	}
}

// TestSessionTimeoutWhileWaitingForTheLock: idle_session_timeout (PostgreSQL
// 14) ends a session that waits for the migration lock between two polls.
func TestSessionTimeoutWhileWaitingForTheLock(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if v := migratortest.Shared(t).Version(t); v < 14 {
		t.Skipf("idle_session_timeout needs PostgreSQL 14, server is %d", v)
	}
	ctx := context.Background()
	migratortest.HoldLock(t, d.DB, migrator.LockKey) // opened before the timeout is set: it stays
	if _, err := d.DB.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " SET idle_session_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := newMigrator(t, db, fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}, migrator.WithLockPollInterval(2*time.Second))
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = m.Apply(ctx)
	var lost *migrator.ConnectionLostError
	if !errors.As(err, &lost) || lost.Timeout == nil || lost.Timeout.Name != "idle_session_timeout" || lost.Timeout.Source != "database" {
		t.Fatalf("err = %v, want the session lost through idle_session_timeout", err)
	}
	if !strings.Contains(err.Error(), "idle_session_timeout = 300ms, set for the database") {
		t.Fatalf("error does not name the setting: %v", err)
	}
}

// TestTransactionTimeoutEndsMigration: transaction_timeout (PostgreSQL 17)
// ends the session of a migration that runs too long.
func TestTransactionTimeoutEndsMigration(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if v := migratortest.Shared(t).Version(t); v < 17 {
		t.Skipf("transaction_timeout needs PostgreSQL 17, server is %d", v)
	}
	if _, err := d.DB.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " SET transaction_timeout = '200ms'"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = apply(t, db, fstest.MapFS{"1_slow.sql": file("CREATE TABLE t (id int);\nSELECT pg_sleep(5);\n")})
	var lost *migrator.ConnectionLostError
	if !errors.As(err, &lost) || lost.Timeout == nil || lost.Timeout.Name != "transaction_timeout" || lost.Timeout.Source != "database" {
		t.Fatalf("err = %v, want the session lost through transaction_timeout", err)
	}
	if tableExists(t, d.DB, "t") {
		t.Fatal("the migration was not rolled back")
	}
}

// TestPaddedHashColumn: a tracking table whose hash column is character(n)
// with n above 40 returns the hash padded with spaces; the file is still
// unchanged.
func TestPaddedHashColumn(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);\n"), "2_b.sql": file("CREATE TABLE b (id int);\n")}
	if _, err := d.DB.Exec(`CREATE TABLE migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL,
		hash character(64) NOT NULL, executed_at timestamp DEFAULT current_timestamp);
		CREATE TABLE a (id int)`); err != nil {
		t.Fatal(err)
	}
	recordApplied(t, d.DB, "public.migrations", fsys, "1_a.sql")
	st, err := newMigrator(t, d.DB, fsys).Status(context.Background())
	if err != nil || st.Migrations[0].State != migrator.StateApplied || st.Migrations[1].State != migrator.StatePending {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if res := mustApply(t, d.DB, fsys); len(res.Applied) != 1 || res.AlreadyApplied != 1 {
		t.Fatalf("Apply = %+v", res)
	}
}
