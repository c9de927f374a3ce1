package migrator

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/hashcheck"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
	pgsql "github.com/pgmig/pgmig/sql"
)

// MigrationResult describes one migration applied by [Migrator.Apply].
type MigrationResult struct {
	Migration
	Duration time.Duration
	// Waits is what a second connection saw while the migration ran
	// (WithMonitor, WithTerminateBlockers, WithLockRetries); zero when it
	// ended before anything looked.
	Waits Waits
}

// ApplyResult describes what [Migrator.Apply] did. On failure it still
// lists the migrations that were applied before the failing one.
type ApplyResult struct {
	Applied          []MigrationResult // applied by this call, in order
	AlreadyApplied   int               // applied before this call
	HashCheckSkipped []Migration       // changed files whose hash check is disabled
	Duration         time.Duration     // whole call, lock wait included
	Table            string            // tracking table, schema-qualified
	Remaining        int               // pending migrations left out by the target
	// SingleTransaction is true when the pending migrations ran in one
	// transaction (WithSingleTransaction): on failure none was applied.
	SingleTransaction bool
}

// Apply takes the migration lock, creates the tracking table if needed,
// checks every applied migration against its file and runs the pending ones
// in id order, each in a transaction of its own together with its
// bookkeeping row (or statement by statement for disable-transaction files).
// The lock is released on every path, cancellation included.
//
// Errors: *ConnectError (no connection), *LockTimeoutError (matches
// ErrLockTimeout), *TableError, *IntegrityError (nothing applied),
// *MigrationError (a migration failed; earlier ones stay applied), or the
// context's error when cancelled.
func (m *Migrator) Apply(ctx context.Context) (*ApplyResult, error) {
	return m.ApplyTo(ctx, 0)
}

// ApplyTo is Apply that stops after migration target (inclusive); target 0
// means the last one. A target below an applied migration, or above the
// highest file, is a *TargetError: pgmig never goes down.
func (m *Migrator) ApplyTo(ctx context.Context, target int) (_ *ApplyResult, err error) {
	start := time.Now()
	res := &ApplyResult{}
	defer func() { res.Duration = time.Since(start) }()
	if err := m.checkTarget(target); err != nil {
		return res, err
	}

	conn, cerr := m.db.Conn(ctx)
	if cerr != nil {
		return res, &ConnectError{Err: cerr}
	}
	defer conn.Close()
	// The no-op check rides on the first lock attempt when a run that
	// finds every file applied would do nothing else: no target below the
	// last file, nothing to create.
	noop := target == 0 || target == len(m.migrations)
	pid, found, err := m.lock(ctx, conn, noop)
	if err != nil {
		return res, err
	}
	s := &session{conn: conn, pid: pid}
	defer func() {
		if found != nil {
			return // the server released the lock in the no-op check
		}
		if !m.unlock(ctx, conn, pid) {
			// The unlock reached another server process: the lock stays
			// on process pid, which the error must say whatever else
			// stopped the run (a run that wrote nothing skipped the check
			// below, and this is then the pooler's only sign).
			var pe *PoolerError
			stranded := &PoolerError{PID: pid, Stranded: true, Reason: "the release of the migration lock reached another server process"}
			switch {
			case errors.As(err, &pe):
				pe.Stranded = true
			case err == nil:
				err = stranded
			default:
				err = errors.Join(err, stranded)
			}
		}
	}()

	var table trackingTable
	var exists bool
	var rows []appliedRow
	if found != nil {
		if found.err != nil {
			return res, found.err
		}
		table, exists, rows = found.table, true, found.rows
	} else {
		if table, exists, err = m.resolveTable(ctx, conn); err != nil {
			return res, m.asConnectionLost(ctx, err, "looking up the tracking table", nil, 0)
		}
		if exists {
			if rows, err = readApplied(ctx, conn, table); err != nil {
				return res, m.asConnectionLost(ctx, err, "reading the tracking table", nil, 0)
			}
		} else if err := m.checkElsewhere(ctx, conn); err != nil {
			return res, m.asConnectionLost(ctx, err, "looking up the tracking table", nil, 0)
		}
	}
	sts := statusOfFiles(m.fsys, m.migrations, rows)
	if err := integrityError(sts); err != nil {
		return res, err
	}
	pending, remaining, err := m.pendingUpTo(sts, target)
	if err != nil {
		return res, err
	}
	warnings, err := m.runnable(sts, target)
	for _, w := range warnings {
		m.opts.log.Warn(w.Problem, "file", w.File)
	}
	if err != nil {
		return res, err
	}
	if m.opts.singleTx {
		if err := checkSingleTransaction(pending); err != nil {
			return res, err
		}
	}
	// Before anything is written, make sure the lock's session is this
	// connection's alone. A run with nothing to write skips it (it costs a
	// second connection): its unlock, which reports the server process it
	// reached, tells a pooler apart.
	if !exists || len(pending) > 0 || !hasRow0(rows) {
		if err := m.checkOwnSession(ctx, pid); err != nil {
			return res, err
		}
	}
	// Every check passed: only now create what is missing.
	if !exists {
		table, err = m.createTable(ctx, conn)
	} else {
		err = ensureRow0(ctx, conn, table, rows)
	}
	if err != nil {
		return res, m.asConnectionLost(ctx, err, "setting up the tracking table", nil, 0)
	}
	s.table = table
	res.Table = table.display
	res.Remaining = remaining
	res.AlreadyApplied, res.HashCheckSkipped = m.applied(sts)
	for _, s := range res.HashCheckSkipped {
		m.opts.log.Warn("file changed since it was applied; hash check skipped (disable-hash-check)", "id", s.ID, "file", s.File)
	}
	if m.opts.singleTx && len(pending) > 0 {
		res.SingleTransaction = true
		res.Applied, err = m.runSingleTransaction(ctx, s, pending)
		return res, err
	}
	asyncCommits := false
	for i, mig := range pending {
		if err := ctx.Err(); err != nil {
			if asyncCommits {
				flush(ctx, conn)
			}
			return res, err
		}
		for _, w := range mig.warnings {
			m.opts.log.Warn(w, "file", mig.File)
		}
		// Every commit but the last skips the WAL flush; the last one
		// flushes them all (unless each migration must flush).
		async := !m.opts.syncEach && i < len(pending)-1 && !mig.DisableTransaction
		if m.opts.beforeMigration != nil {
			m.opts.beforeMigration(i+1, len(pending), mig)
		}
		d, waits, err := m.run(ctx, s, mig, async)
		if err != nil {
			if asyncCommits {
				flush(ctx, conn)
			}
			return res, err
		}
		asyncCommits = async
		res.Applied = append(res.Applied, MigrationResult{Migration: mig, Duration: d, Waits: waits})
		m.opts.log.Info("applied migration", "id", mig.ID, "name", mig.Name, "file", mig.File, "duration", d)
	}
	return res, nil
}

func (m *Migrator) checkTarget(target int) error {
	highest := 0
	if n := len(m.migrations); n > 0 {
		highest = m.migrations[n-1].ID
	}
	if target < 0 || target > highest {
		return &TargetError{Target: target, Highest: highest}
	}
	return nil
}

// pendingUpTo returns the pending migrations up to target (0: all) and how
// many pending ones the target leaves out.
func (m *Migrator) pendingUpTo(sts []MigrationStatus, target int) (pending []Migration, remaining int, err error) {
	maxApplied := 0
	for _, s := range sts {
		switch {
		case s.State != StatePending:
			maxApplied = max(maxApplied, s.ID)
		case target == 0 || s.ID <= target:
			pending = append(pending, m.byID(s.ID))
		default:
			remaining++
		}
	}
	if target > 0 && target < maxApplied {
		return nil, 0, &TargetError{Target: target, Applied: maxApplied}
	}
	return pending, remaining, nil
}

// applied counts the applied migrations and returns those whose file
// changed but carries disable-hash-check.
func (m *Migrator) applied(sts []MigrationStatus) (n int, hashCheckSkipped []Migration) {
	for _, s := range sts {
		switch s.State {
		case StateApplied:
			n++
		case StateHashCheckDisabled:
			n++
			hashCheckSkipped = append(hashCheckSkipped, m.byID(s.ID))
		}
	}
	return n, hashCheckSkipped
}

// byID returns the migration file with that id (ids are 1..n).
// It waits for the statement checks, whose findings the copy carries.
func (m *Migrator) byID(id int) Migration {
	m.checks.wait()
	return m.migrations[id-1]
}

// run applies one migration and records it, and returns how long it took
// and what the second connection saw of it.
func (m *Migrator) run(ctx context.Context, s *session, mig Migration, async bool) (time.Duration, Waits, error) {
	t := m.timeoutsOf(mig)
	var prefix, suffix string
	if !mig.DisableTransaction {
		prefix = pgsql.BeginMigration + "\n" + t.statements("LOCAL ") + s.assertLock() + "\n"
		sync := ""
		if async {
			sync = pgsql.SynchronousCommitOff + "\n"
		}
		suffix = "\n;\n" + pgsql.ResetSession + "\n" + sync +
			s.table.recordStatement(mig, pgsql.MigrationDuration) + ";\n" + pgsql.Commit
	}
	query, body, err := m.readQuery(mig, prefix, suffix)
	if err != nil {
		return 0, Waits{}, err
	}
	start := time.Now()
	var waits Waits
	if mig.DisableTransaction {
		err = m.runStatements(ctx, s, mig, t, body, &waits)
	} else {
		err = m.retryOnLockTimeout(ctx, s, mig, t, true, 0, 0, &waits, func() error {
			return runTransaction(ctx, s.conn, mig, query, body, len(prefix))
		})
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted while running %s: %w (%w)", mig.File, ctx.Err(), err)
	}
	if merr := (*MigrationError)(nil); errors.As(err, &merr) {
		if merr.SQLState == "PGM01" {
			return time.Since(start), waits, &PoolerError{PID: s.pid, Reason: fmt.Sprintf("%s before %s ran (nothing of it was applied)", merr.Message, mig.File)}
		}
		if merr.Timeout == nil {
			merr.Timeout = t.explain(mig, merr.SQLState)
		}
		if merr.Timeout == nil {
			merr.Timeout = lookupTimeout(ctx, s.conn, merr.Err)
		}
		err = m.asConnectionLost(ctx, err, "running "+mig.File, &mig, merr.Statement)
		if !mig.DisableTransaction {
			explainSilentLoss(ctx, m.db, err, "transaction_timeout", time.Since(start))
		}
	}
	return time.Since(start), waits, err
}

// timeouts are the lock_timeout and statement_timeout of one migration's
// statements: its headers, else the Migrator's options; noTimeout sets
// nothing (the session's settings hold).
type timeouts struct{ lock, statement time.Duration }

func (m *Migrator) timeoutsOf(mig Migration) timeouts {
	t := timeouts{lock: mig.LockTimeout, statement: mig.StatementTimeout}
	if t.lock == noTimeout && m.opts.lockTimeout > 0 {
		t.lock = m.opts.lockTimeout
	}
	if t.statement == noTimeout && m.opts.statementTimeout > 0 {
		t.statement = m.opts.statementTimeout
	}
	return t
}

// explain names the timeout of this migration's own that a SQLSTATE comes
// from (55P03 lock_timeout, 57014 statement_timeout), or nil.
func (t timeouts) explain(mig Migration, sqlstate string) *TimeoutSetting {
	name, d, header := "", noTimeout, false
	switch sqlstate {
	case "55P03":
		name, d, header = "lock_timeout", t.lock, mig.LockTimeout != noTimeout
	case "57014":
		name, d, header = "statement_timeout", t.statement, mig.StatementTimeout != noTimeout
	}
	if d <= 0 {
		return nil
	}
	source := "run"
	if header {
		source = "header"
	}
	return &TimeoutSetting{Name: name, Value: strconv.FormatInt(d.Milliseconds(), 10) + "ms", Source: source, After: d}
}

// statements returns the SET statements of the timeouts, each ending in a
// line break, with scope "LOCAL " or "" (session).
func (t timeouts) statements(scope string) string {
	var b strings.Builder
	for _, st := range []struct {
		name string
		d    time.Duration
	}{{"lock_timeout", t.lock}, {"statement_timeout", t.statement}} {
		if st.d != noTimeout {
			b.WriteString(pgsql.Render(pgsql.SetTimeout, "scope", scope, "setting", st.name,
				"value", pq.QuoteLiteral(strconv.FormatInt(st.d.Milliseconds(), 10)+"ms")) + "\n")
		}
	}
	return b.String()
}

// retryOnLockTimeout runs attempt, and again after a pause while it fails
// on a lock timeout (SQLSTATE 55P03) and WithLockRetries allows: each
// attempt must have changed nothing when it failed (a rolled-back
// transaction, or one statement outside a transaction). While an attempt
// runs long enough to be waiting, a second connection notes who blocks it
// (and reports, with WithMonitor), adding what it saw to waits. stmt and
// stmts number the statement of a disable-transaction file (0 otherwise).
// When the retries run out, the error lists every attempt.
func (m *Migrator) retryOnLockTimeout(ctx context.Context, s *session, mig Migration, t timeouts, retryable bool, stmt, stmts int, waits *Waits, attempt func() error) error {
	retries := m.opts.lockRetries
	if !retryable {
		retries = 0
	}
	var attempts []LockAttempt
	for n := 1; ; n++ {
		watch := m.watch(s, mig, t, retries > 0, stmt, stmts, n)
		began := time.Now()
		err := attempt()
		var blockers []Blocker
		if watch != nil {
			w := watch.Stop()
			waits.Add(w)
			blockers = w.LastBlockers
		}
		var merr *MigrationError
		if err == nil || !errors.As(err, &merr) || merr.SQLState != "55P03" || ctx.Err() != nil {
			return err
		}
		attempts = append(attempts, LockAttempt{Began: began, Duration: time.Since(began), Blockers: blockers})
		if n > retries {
			if len(attempts) > 1 {
				merr.Attempts = attempts
			}
			return err
		}
		pause := retryPause(n)
		names := make([]string, len(blockers))
		for i, b := range blockers {
			names[i] = b.String()
		}
		m.opts.log.Warn("lock timeout; the migration changed nothing and runs again after a pause",
			"file", mig.File, "attempt", n, "of", retries+1, "pause", pause, "blocked_by", names)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

// retryPause is the pause before retry n (1-based): 500ms doubling up to a
// minute, each with jitter of -25% to +25% so that runners that timed out
// together do not come back together.
func retryPause(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	d = min(d, time.Minute)
	return time.Duration(float64(d) * (0.75 + 0.5*rand.Float64()))
}

// runTransaction sends the migration, its bookkeeping row and the commit as
// one simple-protocol query string: one network round trip. PostgreSQL stops
// at the first error and skips the rest of the string, so the row is never
// recorded without the migration's effects. With async the commit does not
// wait for the WAL flush (see sql/begin_migration_async.sql).
func runTransaction(ctx context.Context, conn *sql.Conn, mig Migration, query, body string, bodyStart int) error {
	if _, err := conn.ExecContext(ctx, query); err != nil {
		rollback(ctx, conn)
		return newMigrationError(mig, body, query, -bodyStart, 0, 0, err)
	}
	return nil
}

// readQuery reads a migration file straight into the middle of one buffer
// holding prefix + file + suffix, checks that the file is still what New
// read, and returns that buffer as the query and the file (without a
// byte-order mark) as body, both views of the same memory: a large file is
// held once, not copied into each string.
func (m *Migrator) readQuery(mig Migration, prefix, suffix string) (query, body string, err error) {
	f, err := m.fsys.Open(mig.File)
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", mig.File, err)
	}
	defer f.Close()
	buf := make([]byte, len(prefix)+int(mig.Size)+len(suffix)+1)
	copy(buf, prefix)
	content := buf[len(prefix) : len(prefix)+int(mig.Size)+1]
	n, err := io.ReadFull(f, content)
	if err != io.ErrUnexpectedEOF && err != nil && err != io.EOF {
		return "", "", fmt.Errorf("reading %s: %w", mig.File, err)
	}
	content = content[:n]
	if n != int(mig.Size) || hashcheck.Sum(mig.File, content) != mig.Hash {
		return "", "", fmt.Errorf("%s changed while pgmig was running; nothing of it was applied", mig.File)
	}
	buf = buf[:len(prefix)+n]
	for _, b := range mig.blanks {
		blankOut(content[b.off : b.off+b.len])
	}
	if bom := "\uFEFF"; bytes.HasPrefix(content, []byte(bom)) {
		// Drop the byte-order mark: PostgreSQL would read it as part of the
		// first token. The hash above covered it.
		copy(buf[len(bom):], prefix)
		buf = buf[len(bom):]
	}
	buf = append(buf, suffix...)
	query = unsafe.String(unsafe.SliceData(buf), len(buf))
	body = query[len(prefix) : len(query)-len(suffix)]
	return query, body, nil
}

// blankOut replaces the bytes of b with spaces, keeping line breaks, so
// that what PostgreSQL reports about the rest keeps its lines and columns.
func blankOut(b []byte) {
	for i, c := range b {
		if c != '\n' && c != '\r' {
			b[i] = ' '
		}
	}
}

// runStatements runs a disable-transaction migration one statement at a
// time, outside any transaction, then puts the session back to its
// defaults and records the migration in one round trip. A statement that
// fails on a lock timeout changed nothing and runs again (retryOnLockTimeout);
// a CREATE INDEX CONCURRENTLY runs again only after the invalid index its
// failure left is dropped, concurrently.
func (m *Migrator) runStatements(ctx context.Context, s *session, mig Migration, t timeouts, body string, waits *Waits) error {
	start := time.Now()
	stmts, err := sqlscan.Split(body)
	if err != nil {
		return fmt.Errorf("%s: %w", mig.File, err)
	}
	if _, err := s.conn.ExecContext(ctx, t.statements("")+s.assertLock()); err != nil {
		return newMigrationError(mig, body, "", 0, 1, len(stmts), err)
	}
	for i, st := range stmts {
		index, table, concurrent := sqlscan.ConcurrentIndex(st)
		err := m.retryOnLockTimeout(ctx, s, mig, t, retryableAlone(st, concurrent), i+1, len(stmts), waits, func() error {
			if concurrent {
				if err := m.dropInvalidIndex(ctx, s.conn, index, table); err != nil {
					return newMigrationError(mig, body, st.Text, st.Offset, i+1, len(stmts), err)
				}
			}
			if _, err := s.conn.ExecContext(ctx, st.Text); err != nil {
				return newMigrationError(mig, body, st.Text, st.Offset, i+1, len(stmts), err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		m.opts.log.Debug("statement done", "file", mig.File, "statement", i+1, "line", st.Line)
	}
	record := pgsql.ResetSession + "\n" + s.table.recordStatement(mig, strconv.FormatInt(ceilMillis(time.Since(start)), 10))
	if _, err := s.conn.ExecContext(ctx, record); err != nil {
		return &MigrationError{Migration: mig, Err: err, Statement: len(stmts) + 1, Statements: len(stmts), Recording: true}
	}
	return nil
}

// retryableAlone reports whether a statement of a disable-transaction file
// may run again after a lock timeout: any statement that a failure leaves
// as it was, and CREATE INDEX CONCURRENTLY with a name (whose invalid index
// is dropped first). REINDEX CONCURRENTLY and an unnamed CREATE INDEX
// CONCURRENTLY leave indexes behind that a retry would pile up.
func retryableAlone(st sqlscan.Statement, namedConcurrentIndex bool) bool {
	switch notInTransaction(sqlscan.Words(st, statementWords)) {
	case "REINDEX CONCURRENTLY":
		return false
	case "CREATE INDEX CONCURRENTLY":
		return namedConcurrentIndex
	}
	return true
}

// dropInvalidIndex drops, concurrently, the invalid index named index on
// table that an earlier CREATE INDEX CONCURRENTLY left behind, if any.
func (m *Migrator) dropInvalidIndex(ctx context.Context, conn *sql.Conn, index, table string) error {
	var qualified string
	err := conn.QueryRowContext(ctx, pgsql.Render(pgsql.InvalidIndex, "table", pq.QuoteLiteral(table), "name", pq.QuoteLiteral(index))).Scan(&qualified)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	m.opts.log.Warn("dropping the invalid index that a failed CREATE INDEX CONCURRENTLY left, before it runs again", "index", qualified)
	_, err = conn.ExecContext(ctx, pgsql.Render(pgsql.DropIndexConcurrently, "index", qualified))
	return err
}

// ceilMillis rounds up to whole milliseconds, so that a recorded duration is
// never 0 (0 would read as "not recorded").
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// PlanResult is what [Migrator.Plan] found: what apply would do now.
type PlanResult struct {
	Table            string
	CreateTable      bool        // apply would create the tracking table
	Pending          []Migration // would run, in this order
	Remaining        int         // pending migrations left out by the target
	AlreadyApplied   int
	LastApplied      int           // the highest id applied whose file is in the folder (0: none)
	HashCheckSkipped []Migration   // changed files whose hash check is disabled
	LockHolders      []LockHolder  // sessions holding the migration lock now (apply would wait)
	Warnings         []FileProblem // rules that applied files break (see StatusResult.Warnings)
}

// Plan runs every check of [Migrator.ApplyTo] (files, hashes, missing
// files, target) and reports what it would run, without changing the
// database: it takes no lock, only looks at who holds it.
//
// Errors: the same as ApplyTo, except lock and migration errors.
func (m *Migrator) Plan(ctx context.Context, target int) (*PlanResult, error) {
	if err := m.checkTarget(target); err != nil {
		return nil, err
	}
	holders, err := queryLockHolders(ctx, m.db, m.opts.lockKeyLiteral())
	if err != nil {
		return nil, &ConnectError{Err: err}
	}
	st, err := m.Status(ctx)
	if st == nil {
		return nil, err
	}
	res := &PlanResult{Table: st.Table, CreateTable: !st.TableExists, LockHolders: holders}
	if err := integrityError(st.Migrations); err != nil {
		return res, err
	}
	if res.Pending, res.Remaining, err = m.pendingUpTo(st.Migrations, target); err != nil {
		return res, err
	}
	if res.Warnings, err = m.runnable(st.Migrations, target); err != nil {
		return res, err
	}
	res.AlreadyApplied, res.HashCheckSkipped = m.applied(st.Migrations)
	for _, s := range st.Migrations {
		if s.State != StatePending && s.State != StateMissing {
			res.LastApplied = max(res.LastApplied, s.ID)
		}
	}
	return res, nil
}
