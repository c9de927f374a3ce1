package migrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/hashcheck"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestApplyThenRerunIsNoop(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"0001_users.sql":  file("CREATE TABLE users (id int PRIMARY KEY, email text);\n"),
		"0002_orders.sql": file("CREATE TABLE orders (id int, user_id int REFERENCES users);\nINSERT INTO users VALUES (1, 'a@example.com');"),
	}
	res := mustApply(t, db, fsys)
	if len(res.Applied) != 2 || res.Applied[0].ID != 1 || res.Applied[1].ID != 2 || res.Applied[0].Duration <= 0 {
		t.Fatalf("first run applied %+v", res.Applied)
	}
	res = mustApply(t, db, fsys)
	if len(res.Applied) != 0 || res.AlreadyApplied != 2 {
		t.Fatalf("rerun applied %v, already %d", appliedFiles(res), res.AlreadyApplied)
	}
	rows := trackingRows(t, db)
	if ids(rows) != "0,1,2" || rows[2].Name != "orders" || rows[2].Hash != hashcheck.Sum("0002_orders.sql", fsys["0002_orders.sql"].Data) {
		t.Fatalf("rows = %+v", rows)
	}
	if lockHeld(t, db) {
		t.Fatal("lock still held after success")
	}
}

func TestApplyStopsAtFailingMigration(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_ok.sql":    file("CREATE TABLE ok (id int);"),
		"2_bad.sql":   file("CREATE TABLE half (id int);\n\nINSERT INTO ok VALUES (1);\nSELECT * FROM\n  nowhere;\n"),
		"3_later.sql": file("CREATE TABLE later (id int);"),
	}
	res, err := apply(t, db, fsys)
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) {
		t.Fatalf("err = %v", err)
	}
	if len(res.Applied) != 1 || res.Applied[0].File != "1_ok.sql" {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	if merr.Migration.File != "2_bad.sql" || merr.SQLState != "42P01" || merr.Line != 5 || merr.Column != 3 {
		t.Fatalf("error at %s %s %d:%d", merr.Migration.File, merr.SQLState, merr.Line, merr.Column)
	}
	wantTail := "LINE 5:   nowhere;\n          ^"
	if !strings.Contains(err.Error(), wantTail) {
		t.Fatalf("error lacks the caret block %q:\n%v", wantTail, err)
	}
	if tableExists(t, db, "half") || tableExists(t, db, "later") || ids(trackingRows(t, db)) != "0,1" {
		t.Fatal("failing migration left effects, or a later one ran")
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM ok").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows in ok = %d (%v), want 0", n, err)
	}
}

func TestMigrationErrorDetailAndHint(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_t.sql":   file("CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);"),
		"2_dup.sql": file("INSERT INTO t VALUES (1);"),
	}
	_, err := apply(t, db, fsys)
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "23505" || !strings.Contains(err.Error(), "DETAIL: Key (id)=(1) already exists.") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeferredConstraintFailsAtCommit(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_parent.sql": file("CREATE TABLE parent (id int PRIMARY KEY);\n" +
			"CREATE TABLE child (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);"),
		"2_orphan.sql": file("INSERT INTO child VALUES (42);"),
	}
	_, err := apply(t, db, fsys)
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "23503" || merr.Migration.ID != 2 {
		t.Fatalf("err = %v", err)
	}
	if ids(trackingRows(t, db)) != "0,1" {
		t.Fatalf("rows %s", ids(trackingRows(t, db)))
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM child").Scan(&n); err != nil || n != 0 {
		t.Fatalf("child rows = %d (%v)", n, err)
	}
}

func TestDisableTransactionRunsStatementByStatement(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_base.sql": file("CREATE TABLE t (id int, s text);\nCREATE TYPE mood AS ENUM ('sad');\n"),
		"2_online.sql": file("-- pgmig disable-transaction\n" +
			"CREATE INDEX CONCURRENTLY t_id ON t (id);\n" +
			"ALTER TYPE mood ADD VALUE 'happy';\n" +
			"INSERT INTO t VALUES (1, 'a;b'), (2, $$x;y$$);\n" +
			"/* a comment; with a semicolon */\n" +
			"VACUUM t;\n" +
			"DROP INDEX CONCURRENTLY t_id"),
	}
	mustApply(t, db, fsys)
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t WHERE s IN ('a;b', 'x;y')").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d (%v)", n, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM pg_enum WHERE enumlabel = 'happy'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("enum value added %d (%v)", n, err)
	}
	if tableExists(t, db, "t_id") || ids(trackingRows(t, db)) != "0,1,2" {
		t.Fatal("index not dropped or migration not recorded")
	}
}

func TestDisableTransactionFailureHalfway(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_halfway.sql": file("-- pgmig disable-transaction\nCREATE TABLE first (id int);\n\nINSERT INTO missing VALUES (1);\nCREATE TABLE third (id int);\n"),
	}
	_, err := apply(t, db, fsys)
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.Statement != 2 || merr.Statements != 3 || merr.Line != 4 || merr.Column != 13 {
		t.Fatalf("err = %v (%+v)", err, merr)
	}
	for _, want := range []string{"statement 2 of 3 failed", "statements 1 to 1 of this disable-transaction migration ran and stay committed", "a rerun runs the whole file again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !tableExists(t, db, "first") || tableExists(t, db, "third") || ids(trackingRows(t, db)) != "0" {
		t.Fatal("wrong state after a half-run disable-transaction migration")
	}
	// Documented rerun behaviour: the whole file runs again, so a file that
	// is not idempotent fails on its first statement now.
	fsys["1_halfway.sql"] = file("-- pgmig disable-transaction\nCREATE TABLE IF NOT EXISTS first (id int);\nCREATE TABLE missing (id int);\nINSERT INTO missing VALUES (1);\nCREATE TABLE third (id int);\n")
	mustApply(t, db, fsys)
	if !tableExists(t, db, "third") || ids(trackingRows(t, db)) != "0,1" {
		t.Fatal("rerun did not finish the migration")
	}
}

func TestNonTransactionalStatementInTransactionalFile(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	// Known cases are refused before anything runs.
	_, err := apply(t, db, fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\nCREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id);\n")})
	var ferr *migrator.FileError
	if !errors.As(err, &ferr) || !strings.Contains(err.Error(), "1_t.sql: line 2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block") {
		t.Fatalf("err = %v", err)
	}
	// Others fail on the server (SQLSTATE 25001) and get the same advice.
	_, err = apply(t, db, fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\nCLUSTER;\n")})
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "25001" || !strings.Contains(err.Error(), "add a line '-- pgmig disable-transaction'") {
		t.Fatalf("err = %v", err)
	}
	if tableExists(t, db, "t") {
		t.Fatal("first statement was not rolled back")
	}
}

func TestIntegrityFailures(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	lf := "CREATE TABLE a (\n  id int\n);\n"
	mustApply(t, db, fstest.MapFS{
		"1_a.sql": file(lf),
		"2_b.sql": file("CREATE TABLE b (id int);"),
		"3_c.sql": file("CREATE TABLE c (id int);"),
		"4_d.sql": file("\ufeffCREATE TABLE d (id int);"),
	})
	// 1: line endings only; 2: content; 3: missing; 4: BOM dropped; 5: pending.
	_, err := migrator.New(db, fstest.MapFS{
		"1_a.sql": file(strings.ReplaceAll(lf, "\n", "\r\n")),
		"2_b.sql": file("CREATE TABLE b (id bigint);"),
		"4_d.sql": file("CREATE TABLE d (id int);"),
	})
	// With 3 gone the folder has a gap: files are checked first.
	var ferr *migrator.FileError
	if !errors.As(err, &ferr) {
		t.Fatalf("err = %v, want the gap reported first", err)
	}
	_, err = apply(t, db, fstest.MapFS{
		"1_a.sql": file(strings.ReplaceAll(lf, "\n", "\r\n")),
		"2_b.sql": file("CREATE TABLE b (id bigint);"),
		"3_c.sql": file("CREATE TABLE c (id int);"),
		"4_d.sql": file("CREATE TABLE d (id int);"),
		"5_e.sql": file("CREATE TABLE e (id int);"),
	})
	var ierr *migrator.IntegrityError
	if !errors.As(err, &ierr) || len(ierr.Changed) != 3 || len(ierr.Missing) != 0 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		"1_a.sql (id 1): changed since it was applied: differs only in line endings (CRLF/LF)",
		"2_b.sql (id 2): changed since it was applied: content changed",
		"4_d.sql (id 4): changed since it was applied: differs only by a UTF-8 byte-order mark",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if tableExists(t, db, "e") {
		t.Fatal("a pending migration ran despite the integrity failure")
	}
}

func TestIntegrityMissingFile(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	mustApply(t, db, fstest.MapFS{"1_a.sql": file("SELECT 1;"), "2_b.sql": file("SELECT 2;")})
	_, err := apply(t, db, fstest.MapFS{"1_a.sql": file("SELECT 1;")})
	var ierr *migrator.IntegrityError
	if !errors.As(err, &ierr) || len(ierr.Missing) != 1 || ierr.Missing[0].ID != 2 ||
		!strings.Contains(err.Error(), "id 2 (b): applied at ") || !strings.Contains(err.Error(), "but its file is missing from the folder") {
		t.Fatalf("err = %v", err)
	}
}

func TestCustomTableQuoted(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	if _, err := db.Exec(`CREATE SCHEMA "Ops; Schema"`); err != nil {
		t.Fatal(err)
	}
	const table = `"Ops; Schema"."Schema ""Migrations"""`
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}
	mustApply(t, db, fsys, migrator.WithTable(table))
	if rows := trackingRows(t, db, table); ids(rows) != "0,1" {
		t.Fatalf("rows %s", ids(rows))
	}
	if tableExists(t, db, "migrations") {
		t.Fatal("default table created too")
	}
	res := mustApply(t, db, fsys, migrator.WithTable(table))
	if len(res.Applied) != 0 {
		t.Fatal("rerun with custom table applied again")
	}
}

func TestSearchPathResolution(t *testing.T) {
	d := migratortest.NewDatabase(t)
	db := d.DB
	// Another tool's "migrations" table in another schema must not fool pgmig.
	if _, err := db.Exec(`CREATE SCHEMA other; CREATE TABLE other.migrations (version text, dirty bool)`); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}
	mustApply(t, db, fsys)
	if ids(trackingRows(t, db, "public.migrations")) != "0,1" {
		t.Fatal("public.migrations not used")
	}
	// The same table on the search_path with the wrong shape is an error.
	_, err := apply(t, db, fsys, migrator.WithTable("other.migrations"))
	var terr *migrator.TableError
	if !errors.As(err, &terr) || !strings.Contains(err.Error(), "is not a migrations table") || !strings.Contains(err.Error(), "no column id") {
		t.Fatalf("err = %v", err)
	}
}

func TestMigrationChangingSearchPathStillRecorded(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{
		"1_schema.sql": file("CREATE SCHEMA app; SET search_path TO app;"),
		"2_table.sql":  file("CREATE TABLE things (id int);"),
	}
	mustApply(t, db, fsys)
	if ids(trackingRows(t, db, "public.migrations")) != "0,1,2" {
		t.Fatal("rows not recorded in public.migrations")
	}
	// The search path a migration sets ends with it: the next one starts
	// from the session's defaults.
	if !tableExists(t, db, "public.things") || tableExists(t, db, "app.things") {
		t.Fatal("search_path of migration 1 leaked into migration 2")
	}
}

// TestPostgresMigrationsCompatibility continues a database set up exactly as
// postgres-migrations 5.x leaves it, and checks that the table pgmig creates
// has postgres-migrations' layout.
func TestPostgresMigrationsCompatibility(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	_, err := db.Exec(`CREATE TABLE IF NOT EXISTS migrations (
  id integer PRIMARY KEY,
  name varchar(100) UNIQUE NOT NULL,
  hash varchar(40) NOT NULL,
  executed_at timestamp DEFAULT current_timestamp
);
INSERT INTO migrations (id, name, hash) VALUES (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df');
CREATE TABLE success (id integer);
INSERT INTO migrations (id, name, hash) VALUES (1, 'success', '9c94a89d2dcbfbf5a15831b1bbc69a48e58f3524');`)
	if err != nil {
		t.Fatal(err)
	}
	res := mustApply(t, db, fstest.MapFS{
		"1_success.sql":      file("CREATE TABLE success (\n  id integer\n);\n"),
		"2_more-success.sql": file("CREATE TABLE more_success (\n  id integer\n);\n"),
	})
	if len(res.Applied) != 1 || res.Applied[0].ID != 2 {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	// The layout pgmig creates is the one postgres-migrations creates.
	db2 := migratortest.NewDatabase(t).DB
	mustApply(t, db2, fstest.MapFS{})
	const layout = `SELECT string_agg(column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') ||
		' ' || is_nullable || ' ' || coalesce(column_default, ''), ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'migrations'`
	var got string
	if err := db2.QueryRow(layout).Scan(&got); err != nil {
		t.Fatal(err)
	}
	// postgres-migrations' columns, then pgmig's nullable duration_ms, which
	// postgres-migrations never names (it inserts id, name and hash).
	want := "id integer NO , name character varying(100) NO , hash character varying(40) NO , executed_at timestamp without time zone YES CURRENT_TIMESTAMP, duration_ms integer YES "
	if got != want {
		t.Fatalf("layout\n got %s\nwant %s", got, want)
	}
	var constraints string
	if err := db2.QueryRow(`SELECT string_agg(contype::text, '' ORDER BY contype) FROM pg_constraint WHERE conrelid = 'migrations'::regclass AND contype <> 'n'`).Scan(&constraints); err != nil || constraints != "pu" {
		t.Fatalf("constraints %q (%v), want primary key and unique", constraints, err)
	}
	// A row written the way postgres-migrations writes it is read back by pgmig.
	if _, err := db2.Exec(`INSERT INTO migrations (id, name, hash) VALUES (1, 'success', '9c94a89d2dcbfbf5a15831b1bbc69a48e58f3524')`); err != nil {
		t.Fatal(err)
	}
	res = mustApply(t, db2, fstest.MapFS{"1_success.sql": file("CREATE TABLE success (\n  id integer\n);\n")})
	if len(res.Applied) != 0 || res.AlreadyApplied != 1 {
		t.Fatalf("row written by postgres-migrations not recognised: %+v", res)
	}
}

func TestLockReleasedAfterCancellation(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	fsys := fstest.MapFS{"1_slow.sql": file("CREATE TABLE slow (id int);\nSELECT pg_sleep(30);")}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := newMigrator(t, db, fsys).Apply(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancellation took %s", time.Since(start))
	}
	// A connection that lib/pq dropped on cancellation ends its server
	// session a moment later: give the server that moment.
	for deadline := time.Now().Add(5 * time.Second); lockHeld(t, db) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if lockHeld(t, db) || tableExists(t, db, "slow") || ids(trackingRows(t, db)) != "0" {
		t.Fatal("cancelled migration left the lock, effects or a row")
	}
	mustApply(t, db, fstest.MapFS{"1_slow.sql": file("CREATE TABLE slow (id int);")})
}

func TestNewValidatesOptions(t *testing.T) {
	db := unreachableDB(t)
	for _, opt := range []migrator.Option{
		migrator.WithTable(""), migrator.WithTable(`"unterminated`), migrator.WithTable("a.b.c"),
		migrator.WithLockWait(-time.Second), migrator.WithLockPollInterval(0),
	} {
		if _, err := migrator.New(db, fstest.MapFS{}, opt); err == nil {
			t.Error("invalid option accepted")
		}
	}
	if _, err := migrator.New(nil, fstest.MapFS{}); err == nil {
		t.Error("nil db accepted")
	}
}

// TestEnumValueInTransaction: from PostgreSQL 12 on (every version pgmig
// supports) ALTER TYPE ... ADD VALUE runs in a transactional migration, but
// the new value cannot be used in that same transaction (SQLSTATE 55P04);
// a disable-transaction file can do both. Before 12 the first case failed.
func TestEnumValueInTransaction(t *testing.T) {
	db := migratortest.NewDatabase(t).DB
	mustApply(t, db, fstest.MapFS{
		"1_type.sql": file("CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';"),
	})
	_, err := apply(t, db, fstest.MapFS{
		"1_type.sql": file("CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';"),
		"2_use.sql":  file("ALTER TYPE mood ADD VALUE 'calm';\nSELECT 'calm'::mood;"),
	})
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "55P04" {
		t.Fatalf("err = %v, want SQLSTATE 55P04 (unsafe use of new enum value)", err)
	}
	mustApply(t, db, fstest.MapFS{
		"1_type.sql": file("CREATE TYPE mood AS ENUM ('sad');\nALTER TYPE mood ADD VALUE 'happy';"),
		"2_use.sql":  file("-- pgmig disable-transaction\nALTER TYPE mood ADD VALUE 'calm';\nSELECT 'calm'::mood;"),
	})
}
