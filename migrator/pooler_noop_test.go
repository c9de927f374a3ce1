package migrator_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// A rerun with nothing to write skips the second-connection check; behind
// PgBouncer in transaction mode its unlock is what tells the pooler apart.
// These tests pin both outcomes: the unlock reaching the lock's own server
// process (a clean no-op) and reaching another one (a stranded
// *PoolerError naming the process that keeps the lock).

// TestPgBouncerTransactionModeNoopOneServer: with one server connection
// the lock, the reads and the unlock all land on the same server process,
// so the no-op succeeds and releases the lock.
func TestPgBouncerTransactionModeNoopOneServer(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := poolerFS(2)
	mustApply(t, d.DB, fsys)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	db := poolerOpen(t, b.DSN(d.Name))
	for run := 1; run <= 2; run++ {
		res, err := apply(t, db, fsys)
		if err != nil {
			t.Fatalf("no-op %d through transaction mode with one server connection: %v (%T)", run, err, err)
		}
		if len(res.Applied) != 0 || res.AlreadyApplied != 2 {
			t.Fatalf("no-op %d applied %v, already %d, want none and 2", run, appliedFiles(res), res.AlreadyApplied)
		}
		if got := poolerLockHolders(t, d.DB); len(got) != 0 {
			t.Fatalf("lock held by %v after no-op %d (the unlock had only the lock's server process to land on)", got, run)
		}
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2" {
		t.Errorf("tracking rows %s after the no-ops, want 0,1,2", got)
	}
	if got := poolerLog(t, d.DB); got[1] != 1 || got[2] != 1 || len(got) != 2 {
		t.Errorf("pooler_log %v after the no-ops, want each migration once", got)
	}
}

// poolerMovedUnlock runs Apply of fsys through PgBouncer in transaction
// mode with two server connections, d already migrated, and steers it
// with locks (no sleeps) so that the run takes the lock on process P and
// its unlock lands on the other process Q: the run is blocked reading the
// tracking table on P, Q is occupied, a third client queues in PgBouncer
// and is handed P when the read ends, then Q is freed for the run's next
// statement. It returns Apply's outcome and P, with the queued client
// still on P (released in t.Cleanup).
func poolerMovedUnlock(t *testing.T, d *migratortest.Database, fsys fs.FS) (*migrator.ApplyResult, error, int) {
	t.Helper()
	const keyOccupy1, keyOccupy2 = 424401, 424402
	ctx := context.Background()
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 2,
	})
	admin := poolerOpen(t, b.DSN("pgbouncer"))
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

	// The pool is left unbounded: a no-op opens one connection anyway.
	m := newMigrator(t, poolerOpen(t, b.DSN(d.Name)), fsys)
	done, runPID := poolerStartBlockedRun(t, d, m)
	occ1Done := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyOccupy1)
	if pid := poolerWaitBlocked(t, d.DB, keyOccupy1); pid == runPID {
		t.Fatalf("the occupying client got the run's server process %d", runPID)
	}
	occ2Done := poolerBlock(poolerOpen(t, b.DSN(d.Name)), keyOccupy2)
	poolerWait(t, 20*time.Second, "a client waiting in PgBouncer's queue", func() bool {
		return poolerWaitingClients(t, admin, d.Name) >= 1
	})
	t.Cleanup(func() {
		poolerUnlock(t, lock2, keyOccupy2)
		if err := <-occ2Done; err != nil {
			t.Errorf("queued client: %v", err)
		}
	})
	if err := tableTx.Commit(); err != nil {
		t.Fatal(err)
	}
	if pid := poolerWaitBlocked(t, d.DB, keyOccupy2); pid != runPID {
		t.Fatalf("the queued client got process %d, not the run's %d", pid, runPID)
	}
	poolerUnlock(t, lock1, keyOccupy1)
	if err := <-occ1Done; err != nil {
		t.Fatalf("occupying client: %v", err)
	}
	select {
	case out := <-done:
		return out.res, out.err, runPID
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not finish after its server process was taken")
		return nil, nil, 0
	}
}

// poolerOutcome is what a run started by poolerStartBlockedRun returned.
type poolerOutcome struct {
	res *migrator.ApplyResult
	err error
}

// poolerStartBlockedRun starts m.Apply and waits until the run holds the
// migration lock and waits on the tracking table (which the caller keeps
// locked); it returns the run's outcome channel and its server process.
func poolerStartBlockedRun(t *testing.T, d *migratortest.Database, m *migrator.Migrator) (<-chan poolerOutcome, int) {
	t.Helper()
	done := make(chan poolerOutcome, 1)
	go func() {
		res, err := m.Apply(context.Background())
		done <- poolerOutcome{res, err}
	}()
	var runPID int
	poolerWait(t, 20*time.Second, "the run to take the lock and block on the tracking table", func() bool {
		pids := poolerWaiting(t, d.DB, "migrations")
		holders := poolerLockHolders(t, d.DB)
		if len(pids) == 1 && len(holders) == 1 && holders[0] == pids[0] {
			runPID = pids[0]
			return true
		}
		return false
	})
	return done, runPID
}

// poolerCheckStranded asserts that err is a stranded *PoolerError for
// process pid, that the lock is held by pid alone, and that ending pid, as
// the error advises, frees it.
func poolerCheckStranded(t *testing.T, d *migratortest.Database, err error, pid int) {
	t.Helper()
	var pe *migrator.PoolerError
	if !errors.As(err, &pe) {
		t.Fatalf("unlock moved off process %d: %v (%T), want a *migrator.PoolerError", pid, err, err)
	}
	t.Logf("error: %v", err)
	if pe.PID != pid || !pe.Stranded {
		t.Errorf("PoolerError PID %d, Stranded %v: want PID %d, stranded", pe.PID, pe.Stranded, pid)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pg_terminate_backend(%d)", pid)) {
		t.Errorf("error does not tell how to end process %d:\n%v", pid, err)
	}
	if got := poolerLockHolders(t, d.DB); len(got) != 1 || got[0] != pid {
		t.Fatalf("lock holders %v, want only the stranded process %d", got, pid)
	}
	if _, err := d.DB.Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	if !poolerLockReleased(t, d.DB) {
		t.Fatalf("lock still held by %v after terminating process %d", poolerLockHolders(t, d.DB), pid)
	}
}

// TestPgBouncerTransactionModeNoopMovedUnlock: a no-op releases the lock
// in the query that took it (the no-op check), so its release cannot land
// on another server process even when the pool hands the next query to
// another one: the run succeeds, writes nothing and leaves no lock held.
func TestPgBouncerTransactionModeNoopMovedUnlock(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := poolerFS(2)
	mustApply(t, d.DB, fsys)
	res, err, runPID := poolerMovedUnlock(t, d, fsys)
	if err != nil {
		t.Fatalf("no-op through transaction mode: %v", err)
	}
	if len(res.Applied) != 0 || res.AlreadyApplied != 2 {
		t.Errorf("the no-op applied %v, already applied %d", appliedFiles(res), res.AlreadyApplied)
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2" {
		t.Errorf("tracking rows %s, want 0,1,2", got)
	}
	if got := poolerLockHolders(t, d.DB); len(got) != 0 {
		t.Errorf("lock held by %v after the no-op (its process was %d)", got, runPID)
	}
}

// TestPgBouncerTransactionModeIntegrityMovedUnlock: a run refused by the
// integrity check (an applied file edited) writes nothing either and so
// skips the second-connection check; when its unlock lands on another
// process the stranded lock must be reported too, alongside the
// *IntegrityError.
func TestPgBouncerTransactionModeIntegrityMovedUnlock(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := poolerFS(2)
	mustApply(t, d.DB, fsys)
	edited := fstest.MapFS{}
	for name, f := range fsys {
		edited[name] = f
	}
	edited["002_step-2.sql"] = file("CREATE TABLE IF NOT EXISTS pooler_log (id int NOT NULL, backend int NOT NULL);\n" +
		"INSERT INTO pooler_log VALUES (2, 0);\n")
	_, err, runPID := poolerMovedUnlock(t, d, edited)
	var ie *migrator.IntegrityError
	if !errors.As(err, &ie) {
		t.Errorf("run with an edited applied file: %v (%T), want an *migrator.IntegrityError among the errors", err, err)
	}
	poolerCheckStranded(t, d, err, runPID)
}

// TestPgBouncerTransactionModeStatusVerify: Status and Verify through
// transaction mode read in one read-only transaction and take no lock:
// they answer while another session holds the migration lock, leave it to
// that session alone, and take none themselves.
func TestPgBouncerTransactionModeStatusVerify(t *testing.T) {
	d := migratortest.NewDatabase(t)
	mustApply(t, d.DB, poolerFS(2))
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 2,
	})
	db := poolerOpen(t, b.DSN(d.Name))
	holder := poolerDirectLock(t, d.DB, migrator.LockKey)
	var holderPID int
	if err := holder.QueryRowContext(context.Background(), "SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	st, err := newMigrator(t, db, poolerFS(3)).Status(ctx)
	if err != nil {
		t.Fatalf("Status through transaction mode: %v (%T)", err, err)
	}
	var states []string
	for _, s := range st.Migrations {
		states = append(states, fmt.Sprint(s.State))
	}
	if len(st.Migrations) != 3 || st.Migrations[0].State != migrator.StateApplied ||
		st.Migrations[1].State != migrator.StateApplied || st.Migrations[2].State != migrator.StatePending {
		t.Errorf("Status states %v, want applied, applied, pending", states)
	}
	if _, err := newMigrator(t, db, poolerFS(2)).Verify(ctx, migrator.VerifyOptions{}); err != nil {
		t.Errorf("Verify with every migration applied: %v (%T)", err, err)
	}
	_, err = newMigrator(t, db, poolerFS(3)).Verify(ctx, migrator.VerifyOptions{})
	var pe *migrator.PendingError
	if !errors.As(err, &pe) || len(pe.Pending) != 1 {
		t.Errorf("Verify with one pending file: %v (%T), want a *migrator.PendingError for it", err, err)
	}
	if _, err := newMigrator(t, db, poolerFS(3)).Verify(ctx, migrator.VerifyOptions{AllowPending: true}); err != nil {
		t.Errorf("Verify allowing pending: %v (%T)", err, err)
	}
	if got := poolerLockHolders(t, d.DB); len(got) != 1 || got[0] != holderPID {
		t.Fatalf("lock holders %v after Status and Verify, want only the direct session %d", got, holderPID)
	}
	poolerUnlock(t, holder, migrator.LockKey)
	if got := poolerLockHolders(t, d.DB); len(got) != 0 {
		t.Fatalf("lock holders %v once the direct session released it: Status or Verify took a share", got)
	}
	if tableExists(t, d.DB, "pooler_log") && poolerLog(t, d.DB)[3] != 0 {
		t.Error("Status or Verify ran the pending migration")
	}
	if got := ids(trackingRows(t, d.DB)); got != "0,1,2" {
		t.Errorf("tracking rows %s after Status and Verify, want 0,1,2", got)
	}
}
