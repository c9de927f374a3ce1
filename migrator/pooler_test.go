package migrator_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// poolerFS returns n migrations 1..n. Each one logs itself in pooler_log
// (created if needed), so that a migration applied twice shows up there as
// two rows instead of failing on an existing table.
func poolerFS(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%03d_step-%d.sql", i, i)] = file(fmt.Sprintf(
			"CREATE TABLE IF NOT EXISTS pooler_log (id int NOT NULL, backend int NOT NULL);\n"+
				"INSERT INTO pooler_log VALUES (%d, pg_backend_pid());\n", i))
	}
	return fsys
}

// poolerLogger returns a logger writing JSON lines, debug level up, to w.
func poolerLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// poolerOpen opens dsn with a pool of its own, closed in t.Cleanup.
func poolerOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// poolerRun is what one runner of poolerRunners got.
type poolerRun struct {
	applied []migrator.MigrationResult
	err     error
	log     *bytes.Buffer // the runner's log (JSON lines)
}

// poolerRunners applies fsys from n runners at once, each with a *sql.DB of
// its own on dsn, and returns what each got, errors included (unlike
// runConcurrently, which fails the test on any error).
func poolerRunners(t *testing.T, dsn string, fsys fs.FS, n int, timeout time.Duration, opts ...migrator.Option) []poolerRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	runs := make([]poolerRun, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		runs[i].log = &bytes.Buffer{}
		m := newMigrator(t, poolerOpen(t, dsn), fsys, append([]migrator.Option{
			migrator.WithLockPollInterval(100 * time.Millisecond),
			migrator.WithLogger(poolerLogger(runs[i].log)),
		}, opts...)...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := m.Apply(ctx)
			if res != nil {
				runs[i].applied = res.Applied
			}
			runs[i].err = err
		}()
	}
	close(start)
	wg.Wait()
	return runs
}

// poolerLockHolders lists the server processes holding the migration lock
// on the current database of db (a direct connection).
func poolerLockHolders(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((classid::bigint << 32) | objid::bigint) = $1 ORDER BY pid`, migrator.LockKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// poolerWait polls cond until it holds, failing the test after timeout.
func poolerWait(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// poolerLockReleased waits up to a few seconds for the migration lock to be
// free on db (a direct connection) and reports whether it is.
func poolerLockReleased(t *testing.T, db *sql.DB) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for lockHeld(t, db) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// poolerLog returns how often each id is in pooler_log, or nil when the
// table does not exist.
func poolerLog(t *testing.T, db *sql.DB) map[int]int {
	t.Helper()
	if !tableExists(t, db, "pooler_log") {
		return nil
	}
	rows, err := db.Query("SELECT id, count(*) FROM pooler_log GROUP BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var id, n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// poolerDirectLock takes advisory lock key on a direct session of db, held
// until released on the returned connection (closed in t.Cleanup).
func poolerDirectLock(t *testing.T, db *sql.DB, key int64) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	return c
}

// poolerUnlock releases advisory lock key on c, taken by poolerDirectLock.
func poolerUnlock(t *testing.T, c *sql.Conn, key int64) {
	t.Helper()
	if _, err := c.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key); err != nil {
		t.Fatal(err)
	}
}

// poolerBlock runs, through PgBouncer client pool db, a statement that
// waits for advisory lock key (held by poolerDirectLock), and returns a
// channel that gets its result once the lock is released.
func poolerBlock(db *sql.DB, key int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		// No parameters: the simple protocol, one statement outside a
		// transaction, which holds a server connection while it waits.
		_, err := db.Exec(fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", key))
		done <- err
	}()
	return done
}

// poolerWaiting returns the backends of the current database of db (a
// direct connection) that wait on a lock with a query containing s.
func poolerWaiting(t *testing.T, db *sql.DB, s string) []int {
	t.Helper()
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND wait_event_type = 'Lock' AND strpos(query, $1) > 0 AND pid <> pg_backend_pid() ORDER BY pid`, s)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// poolerWaitBlocked waits until exactly one backend waits for advisory
// lock key and returns it.
func poolerWaitBlocked(t *testing.T, db *sql.DB, key int64) int {
	t.Helper()
	var pid int
	poolerWait(t, 20*time.Second, fmt.Sprintf("a backend to wait for advisory lock %d", key), func() bool {
		if pids := poolerWaiting(t, db, fmt.Sprint(key)); len(pids) == 1 {
			pid = pids[0]
			return true
		}
		return false
	})
	return pid
}

func TestPgBouncerSessionModeApply(t *testing.T) {
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{PoolMode: migratortest.PoolModeSession})
	db := poolerOpen(t, b.DSN(d.Name))
	fsys := fstest.MapFS{
		"1_users.sql":  file("CREATE TABLE users (id int PRIMARY KEY);\n"),
		"2_orders.sql": file("CREATE TABLE orders (id int, user_id int REFERENCES users);\n"),
	}
	res := mustApply(t, db, fsys)
	if len(res.Applied) != 2 || res.Applied[0].ID != 1 || res.Applied[1].ID != 2 {
		t.Fatalf("applied %v through session mode, want 1 and 2", appliedFiles(res))
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2" {
		t.Fatalf("tracking rows %s, want 0,1,2", got)
	}
	if !tableExists(t, d.DB, "users") || !tableExists(t, d.DB, "orders") {
		t.Fatal("migrations applied through session mode left no tables")
	}
	res = mustApply(t, db, fsys)
	if len(res.Applied) != 0 || res.AlreadyApplied != 2 {
		t.Fatalf("rerun applied %v, already %d", appliedFiles(res), res.AlreadyApplied)
	}
	if lockHeld(t, d.DB) {
		t.Fatal("lock still held after Apply through session mode")
	}
}

func TestPgBouncerSessionModeConcurrentApply(t *testing.T) {
	const runners, n = 8, 10
	d := migratortest.NewDatabase(t)
	// Each runner holds one server connection for the lock and takes a
	// second one for a moment: room for all of them.
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeSession,
		DefaultPoolSize: 2 * runners,
	})
	runs := poolerRunners(t, b.DSN(d.Name), poolerFS(n), runners, 2*time.Minute)
	results := make([][]migrator.MigrationResult, runners)
	for i, r := range runs {
		if r.err != nil {
			t.Errorf("runner %d: %v", i, r.err)
		}
		results[i] = r.applied
	}
	if t.Failed() {
		t.FailNow()
	}
	checkExactlyOnce(t, results, n)
	if got, want := ids(trackingRows(t, d.DB)), "0,1,2,3,4,5,6,7,8,9,10"; got != want {
		t.Fatalf("tracking rows %s, want %s", got, want)
	}
	for id, count := range poolerLog(t, d.DB) {
		if count != 1 {
			t.Errorf("migration %d ran %d times", id, count)
		}
	}
	if lockHeld(t, d.DB) {
		t.Fatalf("lock still held by %v after the runs", poolerLockHolders(t, d.DB))
	}
}

// TestPgBouncerSessionModeSaturatedPool: in session mode a run's lock
// connection keeps its server connection, and when that was the last one
// of PgBouncer's pool (more runners than default_pool_size, or here a pool
// of one), the second connection that checks for a shared session waits in
// PgBouncer's queue. Apply bounds that check (10s) and goes on without it;
// the run must not stay blocked until PgBouncer's query_wait_timeout
// (120s by default) ends the wait.
func TestPgBouncerSessionModeSaturatedPool(t *testing.T) {
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeSession,
		DefaultPoolSize: 1,
	})
	m := newMigrator(t, poolerOpen(t, b.DSN(d.Name)), fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")})
	type outcome struct {
		res *migrator.ApplyResult
		err error
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		res, err := m.Apply(context.Background())
		done <- outcome{res, err}
	}()
	select {
	case out := <-done:
		t.Logf("Apply returned after %s: %v", time.Since(start).Round(time.Millisecond), out.err)
		if out.err != nil {
			t.Fatalf("Apply through a saturated session-mode pool: %v", out.err)
		}
		if len(out.res.Applied) != 1 || !tableExists(t, d.DB, "a") {
			t.Fatalf("applied %v", appliedFiles(out.res))
		}
	case <-time.After(40 * time.Second):
		// Stopping PgBouncer in the cleanup ends the wait.
		t.Fatalf("Apply still blocked after 40s: the second-connection check waits in PgBouncer's queue " +
			"(lib/pq only sends a cancel request on the context's end, which PgBouncer drops for a client " +
			"without a server connection)")
	}
}

func TestPgBouncerTransactionModeRefused(t *testing.T) {
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	db := poolerOpen(t, b.DSN(d.Name))
	fsys := fstest.MapFS{
		"1_a.sql": file("CREATE TABLE a (id int);"),
		"2_b.sql": file("CREATE TABLE b (id int);"),
	}
	res, err := apply(t, db, fsys)
	var pe *migrator.PoolerError
	if !errors.As(err, &pe) {
		t.Fatalf("Apply through transaction mode: %v (%T), want a *migrator.PoolerError", err, err)
	}
	t.Logf("refused: %v", err)
	if pe.PID == 0 || pe.Stranded {
		t.Errorf("PoolerError PID %d, Stranded %v: want the lock holder's pid, not stranded (one server connection)", pe.PID, pe.Stranded)
	}
	if !strings.Contains(pe.Reason, "second connection") {
		t.Errorf("reason %q: want the second connection's check (one server connection serves both)", pe.Reason)
	}
	if len(res.Applied) != 0 {
		t.Errorf("applied %v", appliedFiles(res))
	}
	if tableExists(t, d.DB, "migrations") || tableExists(t, d.DB, "a") || tableExists(t, d.DB, "b") {
		t.Fatal("the refused run created the tracking table or applied a migration")
	}
	if !poolerLockReleased(t, d.DB) {
		t.Fatalf("lock still held by %v after the refused run (the unlock had only one server connection to land on)", poolerLockHolders(t, d.DB))
	}
}

// TestPgBouncerTransactionModeLockOnSharedSession: the server connection a
// run gets already holds the migration lock for another client (lock
// taken through PgBouncer in transaction mode, which leaves it on the
// server session). The run must refuse at once, without waiting for a lock
// it seems to have, and must leave the other client's lock in place: only
// its own share of the re-entrant lock is undone.
func TestPgBouncerTransactionModeLockOnSharedSession(t *testing.T) {
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	other := poolerOpen(t, b.DSN(d.Name))
	var holder int
	if err := other.QueryRow("SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l", migrator.LockKey).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	db := poolerOpen(t, b.DSN(d.Name))
	res, err := apply(t, db, fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}, migrator.WithLockWait(20*time.Second))
	var pe *migrator.PoolerError
	if !errors.As(err, &pe) {
		t.Fatalf("Apply on a server session holding another client's lock: %v (%T), want a *migrator.PoolerError", err, err)
	}
	if pe.PID != holder || pe.Stranded || !strings.Contains(pe.Reason, "already held the migration lock") {
		t.Errorf("PoolerError %+v, want PID %d, not stranded, reason: already held", pe, holder)
	}
	if len(res.Applied) != 0 || tableExists(t, d.DB, "migrations") || tableExists(t, d.DB, "a") {
		t.Fatal("the refused run created the tracking table or applied a migration")
	}
	if got := poolerLockHolders(t, d.DB); len(got) != 1 || got[0] != holder {
		t.Fatalf("lock holders %v after the refused run, want the other client's %d still", got, holder)
	}
	// One unlock by the other client frees it: the run took nothing extra.
	var released bool
	if err := other.QueryRow("SELECT pg_advisory_unlock($1)", migrator.LockKey).Scan(&released); err != nil || !released {
		t.Fatalf("other client's unlock: %v, %v", released, err)
	}
	if lockHeld(t, d.DB) {
		t.Fatalf("lock still held by %v after the other client's one unlock: the refused run left its share", poolerLockHolders(t, d.DB))
	}
}

// TestPgBouncerTransactionModeMovedSession makes PgBouncer move a run to
// another server process between taking the lock and running a migration,
// steered with locks only (no sleeps): the run holds the lock on process P
// and is blocked reading the tracking table; the other server connection
// is busy; a third client waits in PgBouncer's queue and is handed P as
// soon as the run's read finishes; the run's next statements then land on
// the other process. The migration's first statement must refuse (nothing
// of it applied), and since the unlock lands on the other process too, the
// error must say the lock is stranded on P.
func TestPgBouncerTransactionModeMovedSession(t *testing.T) {
	const keyOccupy1, keyOccupy2 = 424201, 424202
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	mustApply(t, d.DB, fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")})
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 2,
	})
	admin := poolerOpen(t, b.DSN("pgbouncer"))

	// Direct sessions holding the locks that steer the test.
	lock1 := poolerDirectLock(t, d.DB, keyOccupy1)
	lock2 := poolerDirectLock(t, d.DB, keyOccupy2)
	tableTx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tableTx.Rollback()
	if _, err := tableTx.Exec("LOCK TABLE migrations IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	// The run: one connection only, so that the second-connection check
	// (which one server connection of two would fail at random) is skipped.
	db := poolerOpen(t, b.DSN(d.Name))
	db.SetMaxOpenConns(1)
	m := newMigrator(t, db, fstest.MapFS{
		"1_a.sql": file("CREATE TABLE a (id int);"),
		"2_b.sql": file("CREATE TABLE b (id int);"),
	})
	done, runPID := poolerStartBlockedRun(t, d, m)

	// Occupy the other server connection.
	occ1Done := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyOccupy1)
	otherPID := poolerWaitBlocked(t, d.DB, keyOccupy1)
	if otherPID == runPID {
		t.Fatalf("the occupying client got the run's server process %d", runPID)
	}
	// A third client now waits in PgBouncer's queue: no server is free.
	occ2Done := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyOccupy2)
	poolerWait(t, 20*time.Second, "a client waiting in PgBouncer's queue", func() bool {
		return poolerWaitingClients(t, admin, d.Name) >= 1
	})

	// Let the run's read finish: its server process goes to the queued
	// client, which then waits for keyOccupy2 there.
	if err := tableTx.Commit(); err != nil {
		t.Fatal(err)
	}
	if pid := poolerWaitBlocked(t, d.DB, keyOccupy2); pid != runPID {
		t.Fatalf("the queued client got process %d, not the run's %d", pid, runPID)
	}
	// Free the other server connection: the run continues on it.
	poolerUnlock(t, lock1, keyOccupy1)
	if err := <-occ1Done; err != nil {
		t.Fatalf("occupying client: %v", err)
	}
	var out poolerOutcome
	select {
	case out = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not finish after it was moved to another server process")
	}

	var pe *migrator.PoolerError
	if !errors.As(out.err, &pe) {
		t.Fatalf("Apply moved to process %d: %v (%T), want a *migrator.PoolerError", otherPID, out.err, out.err)
	}
	t.Logf("refused: %v", out.err)
	if pe.PID != runPID || !strings.Contains(pe.Reason, "2_b.sql") || !strings.Contains(pe.Reason, fmt.Sprint(otherPID)) {
		t.Errorf("PoolerError %+v: want PID %d, the moved migration 2_b.sql and process %d in the reason", pe, runPID, otherPID)
	}
	if len(out.res.Applied) != 0 || tableExists(t, d.DB, "b") || ids(trackingRows(t, d.DB)) != "0,1" {
		t.Fatalf("the refused migration left effects: applied %v, table b %v, rows %s",
			appliedFiles(out.res), tableExists(t, d.DB, "b"), ids(trackingRows(t, d.DB)))
	}
	// The unlock had only the other process to land on: the lock stays on
	// the run's process, and the error says so.
	if !pe.Stranded {
		t.Errorf("PoolerError not marked Stranded, though the unlock could only reach process %d", otherPID)
	}
	if got := poolerLockHolders(t, d.DB); len(got) != 1 || got[0] != runPID {
		t.Errorf("lock holders %v, want the stranded %d", got, runPID)
	}
	if !strings.Contains(out.err.Error(), fmt.Sprintf("pg_terminate_backend(%d)", runPID)) {
		t.Errorf("error does not tell how to end process %d:\n%v", runPID, out.err)
	}

	poolerUnlock(t, lock2, keyOccupy2)
	if err := <-occ2Done; err != nil {
		t.Fatalf("queued client: %v", err)
	}
	// Ending the stranded session, as the error advises, frees the lock.
	if _, err := d.DB.Exec("SELECT pg_terminate_backend($1)", runPID); err != nil {
		t.Fatal(err)
	}
	if !poolerLockReleased(t, d.DB) {
		t.Fatalf("lock still held by %v after terminating process %d", poolerLockHolders(t, d.DB), runPID)
	}
}

// TestPgBouncerTransactionModeSharedSessionUndoMoved: a run's lock attempt
// lands on a server process P that holds another client's migration lock;
// the run refuses, and its release of the share it just took lands on
// another process. Steered with locks: both server connections busy, the
// run and then a second client queued in PgBouncer, P freed first; the run
// gets P for its lock attempt and the second client gets P right after, so
// the release waits for, and lands on, the other process. Then the run's
// share stays on P besides the other client's: the lock outlives the other
// client's unlock, and the PoolerError must say so (Stranded), as it does
// when a run's own unlock misses (TestPgBouncerTransactionModeMovedSession).
func TestPgBouncerTransactionModeSharedSessionUndoMoved(t *testing.T) {
	const keyA, keyB, keyC = 424301, 424302, 424303
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 2,
	})
	admin := poolerOpen(t, b.DSN("pgbouncer"))
	lockA := poolerDirectLock(t, d.DB, keyA)
	lockB := poolerDirectLock(t, d.DB, keyB)
	lockC := poolerDirectLock(t, d.DB, keyC)

	// The other client takes the migration lock on server process P, which
	// keeps it after the statement.
	other := poolerOpen(t, b.DSN(d.Name))
	var holder int
	if err := other.QueryRow("SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l", migrator.LockKey).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	// P (the only idle server connection) waits for keyA, a new one for keyB.
	doneA := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyA)
	if pid := poolerWaitBlocked(t, d.DB, keyA); pid != holder {
		t.Fatalf("the first occupying client got process %d, not the lock holder %d", pid, holder)
	}
	doneB := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyB)
	otherPID := poolerWaitBlocked(t, d.DB, keyB)

	// The run queues first, a client waiting for keyC second.
	var logs bytes.Buffer
	m := newMigrator(t, poolerOpen(t, b.DSN(d.Name)), fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")},
		migrator.WithLogger(poolerLogger(&logs)), migrator.WithLockWait(20*time.Second))
	type outcome struct {
		res *migrator.ApplyResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := m.Apply(context.Background())
		done <- outcome{res, err}
	}()
	poolerWait(t, 20*time.Second, "the run to wait in PgBouncer's queue", func() bool {
		return poolerWaitingClients(t, admin, d.Name) == 1
	})
	doneC := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyC)
	poolerWait(t, 20*time.Second, "a second client to wait in PgBouncer's queue", func() bool {
		return poolerWaitingClients(t, admin, d.Name) == 2
	})

	// Free P: the run's lock attempt runs there, then the keyC client.
	poolerUnlock(t, lockA, keyA)
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if pid := poolerWaitBlocked(t, d.DB, keyC); pid != holder {
		t.Fatalf("the second queued client got process %d, not %d", pid, holder)
	}
	// Free the other process: the run's release of its share lands there.
	poolerUnlock(t, lockB, keyB)
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	var out outcome
	select {
	case out = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not finish")
	}
	var pe *migrator.PoolerError
	if !errors.As(out.err, &pe) || pe.PID != holder || !strings.Contains(pe.Reason, "already held the migration lock") {
		t.Fatalf("Apply on process %d holding another client's lock: %v (%T), want a *migrator.PoolerError for it", holder, out.err, out.err)
	}
	if tableExists(t, d.DB, "migrations") || tableExists(t, d.DB, "a") {
		t.Fatal("the refused run created the tracking table or applied a migration")
	}
	t.Logf("refused: %v", out.err)
	t.Logf("run log:\n%s", logs.String())

	// Keep the other process busy and P free, so that the other client's
	// unlock lands on P: occupy both, then free P.
	poolerUnlock(t, lockC, keyC)
	if err := <-doneC; err != nil {
		t.Fatal(err)
	}
	lockA = poolerDirectLock(t, d.DB, keyA)
	lockB = poolerDirectLock(t, d.DB, keyB)
	doneA = poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyA)
	pidA := poolerWaitBlocked(t, d.DB, keyA)
	doneB = poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyB)
	pidB := poolerWaitBlocked(t, d.DB, keyB)
	lockP, keyP, doneP := lockA, int64(keyA), doneA
	lockO, keyO, doneO := lockB, int64(keyB), doneB
	if pidA == otherPID {
		lockP, keyP, doneP, lockO, keyO, doneO = lockO, keyO, doneO, lockP, keyP, doneP
		pidA, pidB = pidB, pidA
	}
	if pidA != holder || pidB != otherPID {
		t.Fatalf("occupying clients on processes %d and %d, want %d and %d", pidA, pidB, holder, otherPID)
	}
	poolerUnlock(t, lockP, keyP)
	if err := <-doneP; err != nil {
		t.Fatal(err)
	}
	var released bool
	var on int
	if err := other.QueryRow("SELECT pg_advisory_unlock($1), pg_backend_pid()", migrator.LockKey).Scan(&released, &on); err != nil {
		t.Fatal(err)
	}
	if !released || on != holder {
		t.Fatalf("the other client's unlock: released %v on process %d, want true on %d", released, on, holder)
	}
	stillHeld := lockHeld(t, d.DB)
	t.Logf("after the other client's one unlock: lock held by %v; PoolerError.Stranded = %v", poolerLockHolders(t, d.DB), pe.Stranded)
	if stillHeld && !pe.Stranded {
		t.Errorf("the run's share of the lock stays on process %d (its release reached process %d), "+
			"but its PoolerError does not report the lock stranded", holder, otherPID)
	}
	poolerUnlock(t, lockO, keyO)
	if err := <-doneO; err != nil {
		t.Fatal(err)
	}
	if stillHeld {
		if _, err := d.DB.Exec("SELECT pg_terminate_backend($1)", holder); err != nil {
			t.Fatal(err)
		}
		if !poolerLockReleased(t, d.DB) {
			t.Fatalf("lock still held by %v after terminating process %d", poolerLockHolders(t, d.DB), holder)
		}
	}
}

// poolerWaitingClients returns cl_waiting of database dbname from the
// admin console's SHOW POOLS.
func poolerWaitingClients(t *testing.T, admin *sql.DB, dbname string) int {
	t.Helper()
	rows, err := admin.Query("SHOW POOLS")
	if err != nil {
		t.Fatalf("SHOW POOLS: %v", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = vals[i].String
		}
		if row["database"] == dbname {
			var n int
			fmt.Sscan(row["cl_waiting"], &n)
			total += n
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestPgBouncerTransactionModeConcurrentApply: runners in transaction mode
// with several server connections may be refused (which of them depends on
// how PgBouncer hands out server connections) but must never apply a
// migration twice or record one that did not run.
func TestPgBouncerTransactionModeConcurrentApply(t *testing.T) {
	const runners, n = 8, 10
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 4,
	})
	// A lock stranded on a server process (reported by a PoolerError) is
	// never released while PgBouncer keeps that connection; a runner
	// polling for it gets another process each time under PgBouncer's LIFO
	// reuse and would wait for ever. The lock wait bounds that; a
	// LockTimeoutError is accepted only when a stranded lock was reported.
	runs := poolerRunners(t, b.DSN(d.Name), poolerFS(n), runners, 90*time.Second, migrator.WithLockWait(10*time.Second))

	applied := map[int]int{}
	var refused, succeeded int
	var stranded []*migrator.PoolerError
	var timedOut []int
	reasons := map[string]int{}
	for i, r := range runs {
		for _, a := range r.applied {
			applied[a.ID]++
		}
		var pe *migrator.PoolerError
		var le *migrator.LockTimeoutError
		switch {
		case r.err == nil:
			succeeded++
		case errors.As(r.err, &le):
			timedOut = append(timedOut, i) // judged below
		case errors.As(r.err, &pe):
			refused++
			reason := pe.Reason
			if j := strings.IndexAny(reason, "0123456789"); j >= 0 {
				reason = reason[:j] // group by the kind of observation, not the pids
			}
			reasons[reason]++
			if pe.Stranded {
				stranded = append(stranded, pe)
			}
		default:
			t.Errorf("runner %d: %v (%T), want success or a *migrator.PoolerError", i, r.err, r.err)
		}
		t.Logf("runner %d: applied %d, err: %v", i, len(r.applied), r.err)
		// A release that reached another server process than the lock's.
		for _, line := range strings.Split(r.log.String(), "\n") {
			if strings.Contains(line, "released_on_pid") {
				t.Logf("runner %d log: %s", i, line)
			}
		}
	}
	t.Logf("%d runners: %d succeeded, %d refused with a PoolerError (%d stranded the lock), %d timed out waiting for the lock",
		runners, succeeded, refused, len(stranded), len(timedOut))
	if len(timedOut) > 0 && len(stranded) == 0 {
		t.Errorf("runners %v timed out waiting for the migration lock, though no run reported it stranded", timedOut)
	}
	for reason, count := range reasons {
		t.Logf("  %d× %s", count, reason)
	}
	for id, count := range applied {
		if count > 1 {
			t.Errorf("migration %d applied %d times across the runners", id, count)
		}
	}

	// The database agrees with the results: what is recorded ran once, and
	// nothing ran that is not recorded.
	var recorded []int
	if tableExists(t, d.DB, "migrations") {
		for _, r := range trackingRows(t, d.DB) {
			recorded = append(recorded, r.ID)
		}
	}
	seen := map[int]bool{}
	for _, id := range recorded {
		if seen[id] {
			t.Errorf("migration %d recorded twice", id)
		}
		seen[id] = true
	}
	logged := poolerLog(t, d.DB)
	for id := 1; id <= n; id++ {
		inTable := seen[id]
		if inTable != (applied[id] == 1) {
			t.Errorf("migration %d: recorded %v, but the runners report it applied %d times", id, inTable, applied[id])
		}
		if want := map[bool]int{true: 1}[inTable]; logged[id] != want {
			t.Errorf("migration %d: recorded %v, its effect is there %d times", id, inTable, logged[id])
		}
	}
	if len(recorded) > 0 && recorded[0] != 0 {
		t.Errorf("tracking rows %v lack row 0", recorded)
	}
	sort.Ints(recorded)
	t.Logf("recorded %v", recorded)

	holders := poolerLockHolders(t, d.DB)
	if len(stranded) == 0 {
		if !poolerLockReleased(t, d.DB) {
			t.Fatalf("lock still held by %v after the runs, and no PoolerError reported it stranded", poolerLockHolders(t, d.DB))
		}
		return
	}
	for _, pe := range stranded {
		t.Logf("lock reported stranded on process %d (holders now %v)", pe.PID, holders)
		if _, err := d.DB.Exec("SELECT pg_terminate_backend($1)", pe.PID); err != nil {
			t.Fatal(err)
		}
	}
	if !poolerLockReleased(t, d.DB) {
		t.Fatalf("lock still held by %v after terminating the stranded processes", poolerLockHolders(t, d.DB))
	}
}
