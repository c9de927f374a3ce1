package migrator

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// ConnectionLostError reports that the connection to the database broke
// during a run: the server restarted or crashed, an administrator ended the
// session, or the network failed. Migrations committed before stay applied;
// a rerun of Apply finishes the job.
type ConnectionLostError struct {
	During    string          // what pgmig was doing
	Migration *Migration      // the migration that was running, if any
	Statement int             // its statement, for disable-transaction files
	Timeout   *TimeoutSetting // the setting that ended the session, when one did
	Err       error
}

// Unwrap returns the driver error.
func (e *ConnectionLostError) Unwrap() error { return e.Err }

func (e *ConnectionLostError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lost the connection to the database while %s: %v", e.During, e.Err)
	if e.Timeout != nil {
		b.WriteString("\nthe server ended the session because of " + e.Timeout.String())
	} else {
		b.WriteString("\nthe server ended the session (restart, crash, pg_terminate_backend) or the network failed")
	}
	if m := e.Migration; m != nil {
		if m.DisableTransaction {
			fmt.Fprintf(&b, "; statement %d of %s may have partly run and was not recorded, statements before it stay committed", e.Statement, m.File)
		} else {
			fmt.Fprintf(&b, "; %s either committed together with its row or was rolled back", m.File)
		}
	}
	b.WriteString("\nmigrations of this run committed before it are kept as a consistent prefix; run pgmig apply again to finish")
	return b.String()
}

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
