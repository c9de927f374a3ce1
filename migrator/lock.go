package migrator

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// LockHolder describes a session holding the migration lock.
type LockHolder struct {
	PID             int
	ApplicationName string
	ConnectedFor    time.Duration // age of the holder's session
	Client          string        // client address, or "local"
}

func (h LockHolder) String() string {
	app := h.ApplicationName
	if app == "" {
		app = "unnamed application"
	}
	return fmt.Sprintf("pid %d (%s, from %s, connected for %s)", h.PID, app, h.Client, h.ConnectedFor.Round(time.Second))
}

// lock takes the migration lock on conn by polling pg_try_advisory_lock and
// returns the server process that holds it. A blocking pg_advisory_lock is
// avoided on purpose: its waiting query keeps a snapshot open, which makes
// CREATE INDEX CONCURRENTLY in the holder's session wait for the waiter, a
// deadlock nobody detects.
//
// It fails with a *ReadOnlyError, before taking anything, on a hot standby
// or a read-only session, and with a *PoolerError when the connection does
// not own its server session.
//
// With noop, the first attempt also checks whether the run has nothing to
// do (see noop.go); found is then non-nil and the lock already released.
func (m *Migrator) lock(ctx context.Context, conn *sql.Conn, noop bool) (pid int, found *noopFound, err error) {
	start := time.Now()
	var deadline time.Time
	if m.opts.lockWait > 0 {
		deadline = start.Add(m.opts.lockWait)
	}
	pause := 50 * time.Millisecond
	var lastReport time.Time
	var lastPause time.Duration // idle time before the current attempt
	for attempt := 1; ; attempt++ {
		var st lockState
		var err error
		if attempt == 1 && noop {
			st, found, err = m.firstLockAttempt(ctx, conn)
		} else {
			err = conn.QueryRowContext(ctx, pgsql.Render(pgsql.TryLock, "key", m.opts.lockKeyLiteral())).
				Scan(&st.standby, &st.readOnly, &st.heldBefore, &st.ok, &st.pid)
		}
		pid = st.pid
		if err != nil {
			if attempt == 1 || ctx.Err() != nil || !connectionLost(err) {
				// The lock query is the first one: a failure here is a connection problem.
				return 0, nil, &ConnectError{Err: err}
			}
			lerr := &ConnectionLostError{During: "waiting for the migration lock", Err: err, Timeout: lookupTimeout(ctx, m.db, err)}
			// Between two polls the session is idle: a server that closed
			// it without a word most likely applied idle_session_timeout.
			explainSilentLoss(ctx, m.db, lerr, "idle_session_timeout", lastPause)
			return 0, nil, lerr
		}
		if st.standby || st.readOnly {
			return 0, nil, m.readOnlyError(ctx, conn, st.standby)
		}
		if st.ok && st.heldBefore {
			// Another client's lock on a shared server session: undo this
			// call's share of it (unless the no-op check did), which leaves
			// theirs in place.
			released := found != nil || m.unlock(ctx, conn, pid)
			return 0, nil, &PoolerError{PID: pid, Stranded: !released, Reason: "the server process given to this connection already held the migration lock " +
				"before pgmig asked for it, so it serves another client's session too"}
		}
		if st.ok {
			if waited := time.Since(start); waited > time.Second {
				m.opts.log.Info("migration lock taken", "waited", waited)
			}
			return pid, found, nil
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			return 0, nil, &LockTimeoutError{Waited: now.Sub(start), Holders: m.lockHolders(ctx, conn)}
		}
		if lastReport.IsZero() || now.Sub(lastReport) >= lockReportInterval {
			lastReport = now
			attrs := []any{"waited", now.Sub(start)}
			if holders := m.lockHolders(ctx, conn); len(holders) > 0 {
				h := holders[0]
				attrs = append(attrs, "holder_pid", h.PID, "holder_application", h.ApplicationName,
					"holder_client", h.Client, "holder_connected_for", h.ConnectedFor)
			}
			m.opts.log.Info("waiting for the migration lock held by another session", attrs...)
		}
		wait := pause
		if !deadline.IsZero() && deadline.Sub(now) < wait {
			wait = deadline.Sub(now)
		}
		lastPause = wait
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil, ctx.Err()
		case <-t.C:
		}
		pause = min(pause*2, m.opts.lockPoll)
	}
}

// checkOwnSession makes sure that the server process holding the lock
// (pid) serves this connection alone: a second connection of the pool must
// get another one. Behind a pooler in transaction or statement mode an idle
// server session goes to whichever client asks next, and a session lock
// taken on it guards nothing. The check is skipped when the pool allows one
// connection only, and given up after ownSessionWait when no second
// connection comes (a full session-mode pool queues it): the query is then
// left to end on its own, since lib/pq only asks the server to cancel it.
func (m *Migrator) checkOwnSession(ctx context.Context, pid int) error {
	if m.db.Stats().MaxOpenConnections == 1 {
		return nil
	}
	type answer struct {
		pid int
		err error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		a.err = m.db.QueryRowContext(context.WithoutCancel(ctx), pgsql.BackendPID).Scan(&a.pid)
		done <- a
	}()
	t := time.NewTimer(ownSessionWait)
	defer t.Stop()
	select {
	case a := <-done:
		if a.err != nil {
			return &ConnectError{Err: a.err}
		}
		if a.pid == pid {
			return &PoolerError{PID: pid, Reason: "a second connection was given the same server process as the connection holding the lock"}
		}
		return nil
	case <-t.C:
		m.opts.log.Debug("no second connection within the wait; the check that the lock's session is not shared was skipped", "waited", ownSessionWait)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ownSessionWait bounds the wait for the second connection of
// checkOwnSession.
const ownSessionWait = 3 * time.Second

// readOnlyError describes why the server refuses writes.
func (m *Migrator) readOnlyError(ctx context.Context, conn *sql.Conn, standby bool) error {
	e := &ReadOnlyError{Standby: standby}
	if !standby {
		var setting string
		if err := conn.QueryRowContext(ctx, pgsql.ReadOnlySource).Scan(&setting, &e.Source); err != nil || setting != "on" {
			e.Source = ""
		}
	}
	return e
}

// unlock releases the migration lock held by server process pid. It runs
// even when ctx was cancelled; if the lock cannot be released the
// connection is discarded, which ends the session and so releases the lock
// on the server. It returns false when the release reached a server process
// that did not hold the lock (a pooler moved the session): the lock then
// stays with process pid until that session ends.
func (m *Migrator) unlock(ctx context.Context, conn *sql.Conn, pid int) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var released bool
	var on int
	err := conn.QueryRowContext(ctx, pgsql.Render(pgsql.Unlock, "key", m.opts.lockKeyLiteral())).Scan(&released, &on)
	if err == nil && on != pid {
		// Behind a pooler that moved the session. Checked before released:
		// a release that succeeded there gave back a lock that process
		// held for another client.
		msg := "the lock release reached another server process; the migration lock stays held by process holder_pid until its session ends"
		if released {
			msg = "the lock release reached another server process, which held the migration lock for another client sharing it and has now released it; " +
				"the migration lock stays held by process holder_pid until its session ends"
		}
		m.opts.log.Error(msg, "holder_pid", pid, "released_on_pid", on)
		return false
	}
	if err == nil && released {
		return true
	}
	if !connectionLost(err) {
		m.opts.log.Warn("could not release the migration lock; closing the connection to release it", "error", err)
	}
	discard(conn)
	return true
}

// lockHolders lists the sessions that hold the migration lock. Errors are
// ignored: this only feeds messages.
func (m *Migrator) lockHolders(ctx context.Context, conn *sql.Conn) []LockHolder {
	holders, _ := queryLockHolders(ctx, conn, m.opts.lockKeyLiteral())
	return holders
}

// queryLockHolders lists the sessions, other than q's, that hold the lock
// key (as SQL text).
func queryLockHolders(ctx context.Context, q queryer, key string) ([]LockHolder, error) {
	rows, err := q.QueryContext(ctx, pgsql.Render(pgsql.LockHolders, "key", key))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var holders []LockHolder
	for rows.Next() {
		var h LockHolder
		var secs float64
		if err := rows.Scan(&h.PID, &h.ApplicationName, &secs, &h.Client); err != nil {
			return holders, err
		}
		h.ConnectedFor = time.Duration(secs * float64(time.Second))
		holders = append(holders, h)
	}
	return holders, rows.Err()
}
