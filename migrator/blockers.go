package migrator

import (
	"log/slog"
	"time"

	"github.com/pgmig/pgmig/migrator/monitor"
)

// Blocker is a session that blocked a migration's statement: it held a
// lock the statement waited for, or queued for one ahead of it.
type Blocker = monitor.Blocker

// Waits sums up what the second connection saw of one migration while it
// ran: the longest lock wait, every session seen blocking it and the
// sessions terminated (WithTerminateBlockers). Zero when the migration
// ended before anything looked at it.
type Waits = monitor.Waits

// Progress is PostgreSQL's own progress report of a CREATE INDEX, REINDEX,
// CLUSTER, VACUUM FULL or VACUUM.
type Progress = monitor.Progress

// MigrationReport is one look, through a second connection, at a
// migration that has run for longer than WithMonitor's threshold.
type MigrationReport struct {
	Migration  Migration
	Statement  int // 1-based statement of a disable-transaction file, 0 otherwise
	Statements int // statements in that file
	Attempt    int // 1, or the run after a lock timeout (WithLockRetries)
	monitor.Report
}

// watchPlan is when a migration's statement is looked at, and why.
type watchPlan struct {
	after, every time.Duration
}

// watchPlan combines what the options and timeouts ask to watch: the
// monitor's reports (WithMonitor), blockers to terminate
// (WithTerminateBlockers), and who blocked an attempt that a lock timeout
// will end and a retry follow (looked at from a quarter of the lock timeout
// on, four times before it ends, so that one slow look still leaves others).
// ok is false when nothing asks, or the pool allows one connection only.
func (m *Migrator) watchPlan(t timeouts, retries bool) (p watchPlan, ok bool) {
	if m.db.Stats().MaxOpenConnections == 1 {
		return p, false
	}
	add := func(after, every time.Duration) {
		if !ok {
			p.after, p.every, ok = after, every, true
			return
		}
		p.after, p.every = min(p.after, after), min(p.every, every)
	}
	if d := m.opts.monitorAfter; d > 0 {
		add(d, reportEvery(d))
	}
	if d := m.opts.terminateIdleAfter; d > 0 {
		add(min(d, monitor.DefaultAfter), reportEvery(d))
	}
	if retries && t.lock > 0 {
		add(max(t.lock/4, 10*time.Millisecond), max(t.lock/5, 10*time.Millisecond))
	}
	return p, ok
}

// reportEvery is the time between two reports of WithMonitor(after): as
// often as after, from 100ms up to monitor.DefaultEvery.
func reportEvery(after time.Duration) time.Duration {
	return min(max(after, 100*time.Millisecond), monitor.DefaultEvery)
}

// watch starts looking at the migration's server process while one
// attempt of mig (or of its statement stmt of stmts) runs; stop with
// (*monitor.Watch).Stop. It returns nil when nothing needs watching.
func (m *Migrator) watch(s *session, mig Migration, t timeouts, retries bool, stmt, stmts, attempt int) *monitor.Watch {
	p, ok := m.watchPlan(t, retries)
	if !ok {
		return nil
	}
	opts := monitor.Options{After: p.after, Every: p.every, HideQueries: m.opts.hideBlockerQueries,
		TerminateIdleAfter: m.opts.terminateIdleAfter}
	var lastReport time.Duration
	return monitor.Start(m.db, s.pid, opts, func(r monitor.Report) {
		for _, b := range r.Terminated {
			m.opts.log.Warn("terminated a session that blocked the migration and was idle in its transaction for longer than allowed",
				"file", mig.File, "pid", b.PID, "blocker", b.String(), "idle_for", b.StateFor, "allowed", m.opts.terminateIdleAfter)
		}
		if r.Err != nil {
			m.opts.log.Debug("could not look at the running migration from a second connection", "file", mig.File, "error", r.Err)
			return
		}
		after := m.opts.monitorAfter
		if after <= 0 || r.Elapsed < after || lastReport > 0 && r.Elapsed-lastReport < reportEvery(after)*9/10 {
			return
		}
		lastReport = r.Elapsed
		mr := MigrationReport{Migration: mig, Statement: stmt, Statements: stmts, Attempt: attempt, Report: r}
		if m.opts.monitorReport != nil {
			m.opts.monitorReport(mr)
		} else {
			m.opts.log.Info("migration still running", mr.LogAttrs()...)
		}
	})
}

// LogAttrs returns the report as slog attributes (alternating keys and
// values), as WithMonitor logs it when given no function of its own.
func (r MigrationReport) LogAttrs() []any {
	attrs := []any{"file", r.Migration.File, "id", r.Migration.ID}
	if r.Statement > 0 {
		attrs = append(attrs, "statement", r.Statement, "of", r.Statements)
	}
	if r.Attempt > 1 {
		attrs = append(attrs, "attempt", r.Attempt)
	}
	attrs = append(attrs, "elapsed", r.Elapsed, "pid", r.PID, "state", r.State)
	if r.WaitEventType != "" {
		attrs = append(attrs, "wait_event_type", r.WaitEventType, "wait_event", r.WaitEvent)
	}
	if r.LockWait > 0 {
		attrs = append(attrs, "lock_wait", r.LockWait)
	}
	if len(r.Blockers) > 0 {
		names := make([]string, len(r.Blockers))
		pids := make([]int, len(r.Blockers))
		for i, b := range r.Blockers {
			names[i], pids[i] = b.String(), b.PID
		}
		attrs = append(attrs, "blocked_by", names, "blocker_pids", pids)
	}
	if p := r.Progress; p != nil {
		attrs = append(attrs, slog.Group("progress", "command", p.Command, "phase", p.Phase, "done", p.Done, "total", p.Total, "unit", p.Unit))
	}
	return attrs
}
