package migrator_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// blocker is a session that holds a lock on a table in an open transaction
// until it commits.
type blocker struct {
	t    *testing.T
	conn *sql.Conn
	pid  int
}

// block opens a transaction on db that runs stmt (for example a SELECT,
// which takes ACCESS SHARE, or an INSERT) and stays idle in it.
func block(t *testing.T, db *sql.DB, stmt string) *blocker {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := &blocker{t: t, conn: conn}
	t.Cleanup(func() { b.commit(); conn.Close() })
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&b.pid); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		t.Fatal(err)
	}
	return b
}

// blockedTable applies a migration that creates table t, then opens a
// session that read t in a transaction and stays idle in it, so that a
// later migration altering t waits for it. It returns the database, the
// folder to add migrations to and the blocker.
func blockedTable(t *testing.T) (*migratortest.Database, fstest.MapFS, *blocker) {
	t.Helper()
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\n")}
	mustApply(t, d.DB, fsys)
	return d, fsys, block(t, d.DB, "SELECT * FROM t")
}

func (b *blocker) commit() { _, _ = b.conn.ExecContext(context.Background(), "COMMIT") }

// commitWhenLogged commits once the log shows want (a retry, say).
func (b *blocker) commitWhenLogged(logs *syncBuffer, want string) {
	go func() {
		deadline := time.Now().Add(time.Minute)
		for !strings.Contains(logs.String(), want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		b.commit()
	}()
}

func TestLockTimeoutRetriedUntilTheBlockerCommits(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n")}
	mustApply(t, d.DB, fsys)
	b := block(t, d.DB, "SELECT * FROM t")
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	var logs syncBuffer
	b.commitWhenLogged(&logs, `"attempt":2`)
	res := mustApply(t, d.DB, fsys, migrator.WithLockTimeout(100*time.Millisecond), migrator.WithLockRetries(6),
		migrator.WithLogger(jsonLogger(&logs)))
	if len(res.Applied) != 1 || res.Applied[0].File != "2_add-column.sql" {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2" {
		t.Fatalf("tracking rows %s, want the migration recorded once", got)
	}
	log := logs.String()
	for _, want := range []string{"lock timeout; the migration changed nothing and runs again", `"attempt":1`, `"attempt":2`,
		"pid " + strconv.Itoa(b.pid), "idle in transaction", "SELECT * FROM t"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestLockRetriesRunOut(t *testing.T) {
	d, fsys, b := blockedTable(t)
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	_, err := apply(t, d.DB, fsys, migrator.WithLockTimeout(200*time.Millisecond), migrator.WithLockRetries(2))
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "55P03" || len(merr.Attempts) != 3 {
		t.Fatalf("err = %v, want a lock timeout after 3 attempts", err)
	}
	for i, a := range merr.Attempts {
		if len(a.Blockers) != 1 || a.Blockers[0].PID != b.pid || a.Blockers[0].State != "idle in transaction" {
			t.Errorf("attempt %d: blockers %+v, want pid %d idle in transaction", i+1, a.Blockers, b.pid)
		}
	}
	if merr.Timeout == nil || *merr.Timeout != (migrator.TimeoutSetting{Name: "lock_timeout", Value: "200ms", Source: "run", After: 200 * time.Millisecond}) {
		t.Errorf("timeout %+v", merr.Timeout)
	}
	for _, want := range []string{"gave up after 3 attempts over ", "each ended by the lock timeout", "attempt 3 (",
		"blocked by pid " + strconv.Itoa(b.pid), "lock_timeout = 200ms, set for the migrations of this run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1" {
		t.Fatalf("tracking rows %s: the failed migration was recorded", got)
	}
}

func TestTimeoutHeadersWinOverOptions(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\n")}
	mustApply(t, d.DB, fsys)
	block(t, d.DB, "SELECT * FROM t")
	// The option would wait a minute; the header gives up after 100ms.
	fsys["2_add-column.sql"] = file("-- pgmig lock-timeout 100ms\nALTER TABLE t ADD COLUMN note text;\n")
	_, err := apply(t, d.DB, fsys, migrator.WithLockTimeout(time.Minute))
	var merr *migrator.MigrationError
	if !errors.As(err, &merr) || merr.SQLState != "55P03" || merr.Timeout == nil || merr.Timeout.Source != "header" || merr.Timeout.Value != "100ms" {
		t.Fatalf("err = %v", err)
	}
	// A statement timeout stops a long statement; its header wins too.
	slow := fstest.MapFS{"1_t.sql": fsys["1_t.sql"], "2_slow.sql": file("-- pgmig statement-timeout 200ms\nSELECT pg_sleep(30);\n")}
	_, err = apply(t, d.DB, slow, migrator.WithStatementTimeout(time.Hour))
	if !errors.As(err, &merr) || merr.SQLState != "57014" || merr.Timeout == nil || merr.Timeout.Name != "statement_timeout" || merr.Timeout.Source != "header" {
		t.Fatalf("err = %v", err)
	}
	// The timeouts end with the migration: the next one and pgmig's own
	// statements run with the session's defaults.
	after := fstest.MapFS{"1_t.sql": fsys["1_t.sql"], "2_sets.sql": file("-- pgmig statement-timeout 50ms\nSELECT 1;\n"),
		"3_checks.sql": file("CREATE TABLE settings AS SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt;\n")}
	mustApply(t, d.DB, after, migrator.WithLockTimeout(3*time.Second))
	var st, lt string
	if err := d.DB.QueryRow("SELECT st, lt FROM settings").Scan(&st, &lt); err != nil || st != "0" || lt != "3s" {
		t.Fatalf("migration 3 ran with statement_timeout %q, lock_timeout %q (%v); want 0 and 3s", st, lt, err)
	}
}

// TestLockTimeoutLeavesTheMigrationLockWaitAlone: lock_timeout is for the
// migrations' statements; waiting for the migration lock is bounded by
// WithLockWait alone.
func TestLockTimeoutLeavesTheMigrationLockWaitAlone(t *testing.T) {
	d := migratortest.NewDatabase(t)
	migratortest.HoldLock(t, d.DB, migrator.LockKey)
	_, err := apply(t, d.DB, fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")},
		migrator.WithLockTimeout(10*time.Millisecond), migrator.WithLockWait(500*time.Millisecond))
	var lerr *migrator.LockTimeoutError
	if !errors.As(err, &lerr) || lerr.Waited < 500*time.Millisecond {
		t.Fatalf("err = %v, want the migration lock wait to run its course", err)
	}
}

// TestDisableTransactionStatementRetriedAlone: in a disable-transaction
// file only the statement that hit the lock timeout runs again; the one
// before it ran once.
func TestDisableTransactionStatementRetriedAlone(t *testing.T) {
	d, fsys, b := blockedTable(t)
	fsys["2_nontx.sql"] = file("-- pgmig disable-transaction\n-- pgmig lock-timeout 100ms\nCREATE TABLE side (id int);\nALTER TABLE t ADD COLUMN note text;\n")
	var logs syncBuffer
	b.commitWhenLogged(&logs, `"attempt":1`)
	res := mustApply(t, d.DB, fsys, migrator.WithLockRetries(8), migrator.WithLogger(jsonLogger(&logs)))
	if len(res.Applied) != 1 || !tableExists(t, d.DB, "side") {
		t.Fatalf("applied %v\n%s", appliedFiles(res), logs.String())
	}
	var n int
	if err := d.DB.QueryRow("SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'note'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("column note: %d, %v", n, err)
	}
}

// TestConcurrentIndexRetriedAfterDroppingItsInvalidIndex: a CREATE INDEX
// CONCURRENTLY that times out waiting for a writer's transaction leaves an
// invalid index; pgmig drops it (concurrently) before the next attempt, so
// one valid index remains.
func TestConcurrentIndexRetriedAfterDroppingItsInvalidIndex(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\nINSERT INTO t SELECT generate_series(1, 1000);\n")}
	mustApply(t, d.DB, fsys)
	b := block(t, d.DB, "INSERT INTO t VALUES (0)")
	fsys["2_index.sql"] = file("-- pgmig disable-transaction\n-- pgmig lock-timeout 200ms\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n")
	var logs syncBuffer
	b.commitWhenLogged(&logs, "dropping the invalid index")
	res := mustApply(t, d.DB, fsys, migrator.WithLockRetries(8), migrator.WithLogger(jsonLogger(&logs)))
	if len(res.Applied) != 1 {
		t.Fatalf("applied %v\n%s", appliedFiles(res), logs.String())
	}
	var valid, total int
	if err := d.DB.QueryRow(`SELECT count(*) FILTER (WHERE i.indisvalid), count(*) FROM pg_index i WHERE i.indrelid = 't'::regclass`).Scan(&valid, &total); err != nil {
		t.Fatal(err)
	}
	if valid != 1 || total != 1 {
		t.Fatalf("%d valid of %d indexes on t, want one valid index\n%s", valid, total, logs.String())
	}
	if !strings.Contains(logs.String(), "dropping the invalid index") {
		t.Fatalf("the retry did not drop an invalid index first:\n%s", logs.String())
	}
}

func TestBadTimeoutHeaderIsAFileError(t *testing.T) {
	_, err := migrator.Validate(fstest.MapFS{
		"1_a.sql": file("SELECT 1;\n-- pgmig lock-timeout soon\n"),
		"2_b.sql": file("-- pgmig statement-timeout -5s\nSELECT 1;\n"),
		"3_c.sql": file("-- pgmig lock-timeout 2s\n-- pgmig statement-timeout 0\nSELECT 1;\n"),
	})
	var ferr *migrator.FileError
	if !errors.As(err, &ferr) || len(ferr.Problems) != 2 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{`1_a.sql: line 2: header "-- pgmig lock-timeout soon": "soon" is not a duration`,
		`2_b.sql: line 1: header "-- pgmig statement-timeout -5s": the duration -5s is negative`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	m := newMigrator(t, unreachableDB(t), fstest.MapFS{"1_c.sql": file("-- pgmig lock-timeout 2s\n-- pgmig statement-timeout 0\nSELECT 1;\n")})
	if mig := m.Migrations()[0]; mig.LockTimeout != 2*time.Second || mig.StatementTimeout != 0 {
		t.Fatalf("timeouts %v, %v", mig.LockTimeout, mig.StatementTimeout)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
