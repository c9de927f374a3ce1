package migrator

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
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

var lockKeyLiteral = strconv.FormatInt(LockKey, 10)

// lock takes the migration lock on conn by polling pg_try_advisory_lock.
// A blocking pg_advisory_lock is avoided on purpose: its waiting query keeps
// a snapshot open, which makes CREATE INDEX CONCURRENTLY in the holder's
// session wait for the waiter, a deadlock nobody detects.
func (m *Migrator) lock(ctx context.Context, conn *sql.Conn) error {
	start := time.Now()
	var deadline time.Time
	if m.opts.lockWait > 0 {
		deadline = start.Add(m.opts.lockWait)
	}
	pause := 50 * time.Millisecond
	var lastReport time.Time
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, pgsql.Render(pgsql.TryLock, "key", lockKeyLiteral)).Scan(&ok); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		if ok {
			if waited := time.Since(start); waited > time.Second {
				m.opts.log.Info().Dur("waited", waited).Msg("migration lock taken")
			}
			return nil
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			return &LockTimeoutError{Waited: now.Sub(start), Holders: m.lockHolders(ctx, conn)}
		}
		if lastReport.IsZero() || now.Sub(lastReport) >= m.opts.lockReport {
			lastReport = now
			ev := m.opts.log.Info().Dur("waited", now.Sub(start))
			for i, h := range m.lockHolders(ctx, conn) {
				if i == 0 {
					ev = ev.Int("holder_pid", h.PID).Str("holder_application", h.ApplicationName).
						Str("holder_client", h.Client).Dur("holder_connected_for", h.ConnectedFor)
				}
			}
			ev.Msg("waiting for the migration lock held by another session")
		}
		wait := pause
		if !deadline.IsZero() && deadline.Sub(now) < wait {
			wait = deadline.Sub(now)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(pause*2, m.opts.lockPoll)
	}
}

// unlock releases the migration lock. It runs even when ctx was cancelled;
// if the lock cannot be released the connection is discarded, which ends
// the session and so releases the lock on the server.
func (m *Migrator) unlock(ctx context.Context, conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var released bool
	err := conn.QueryRowContext(ctx, pgsql.Render(pgsql.Unlock, "key", lockKeyLiteral)).Scan(&released)
	if err == nil && released {
		return
	}
	if !connectionLost(err) {
		m.opts.log.Warn().Err(err).Msg("could not release the migration lock; closing the connection to release it")
	}
	discard(conn)
}

// discard makes database/sql close the pinned connection instead of
// returning it to the pool, ending the server session.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// lockHolders lists the sessions that hold the migration lock. Errors are
// ignored: this only feeds messages.
func (m *Migrator) lockHolders(ctx context.Context, conn *sql.Conn) []LockHolder {
	holders, _ := queryLockHolders(ctx, conn)
	return holders
}

// queryLockHolders lists the sessions, other than q's, that hold the lock.
func queryLockHolders(ctx context.Context, q queryer) ([]LockHolder, error) {
	rows, err := q.QueryContext(ctx, pgsql.Render(pgsql.LockHolders, "key", lockKeyLiteral))
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
