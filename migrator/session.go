package migrator

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Session helpers: the connection a run holds the lock on, and what to do
// when a statement on it fails or the session is gone.

// connectionLost reports whether err means that the session is gone.
func connectionLost(err error) bool {
	if err == nil {
		return false
	}
	var opErr *net.OpError
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &opErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Severity == pq.Efatal || pqErr.Severity == pq.Epanic) {
		return true // the server ends the session after a FATAL error (timeouts such as 25P03, 25P04)
	}
	code := sqlState(err)
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
}

// session is the connection a run holds the migration lock on.
type session struct {
	conn  *sql.Conn
	pid   int // server process holding the lock
	table trackingTable
}

// assertLock is the statement that stops a transaction that does not run
// on the server process holding the migration lock.
func (s *session) assertLock() string {
	return pgsql.Render(pgsql.AssertLockSession, "pid", strconv.Itoa(s.pid))
}

// flush waits until every commit of this session is durable. Errors are
// ignored: it runs on failure paths, where the connection may be gone (and
// the server then flushes on its own within wal_writer_delay).
func flush(ctx context.Context, conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, pgsql.FlushBarrier); err != nil {
		rollback(ctx, conn)
	}
}

// asConnectionLost turns err into a *ConnectionLostError when the session is gone (and
// the context was not cancelled), else returns it unchanged. When a timeout
// setting ended the session, the error names it.
func (m *Migrator) asConnectionLost(ctx context.Context, err error, during string, mig *Migration, stmt int) error {
	if ctx.Err() != nil || !connectionLost(err) {
		return err
	}
	var merr *MigrationError
	if errors.As(err, &merr) {
		err = merr.Err
	}
	return &ConnectionLostError{During: during, Migration: mig, Statement: stmt, Err: err, Timeout: lookupTimeout(ctx, m.db, err)}
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rollback ends a failed transaction on conn; errors are ignored because
// the connection is discarded if it cannot be used any more.
func rollback(ctx context.Context, conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, pgsql.Rollback); err != nil {
		discard(conn)
	}
}

// discard makes database/sql close the pinned connection instead of
// returning it to the pool, ending the server session.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
