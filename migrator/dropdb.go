package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// ErrCurrentDatabase is returned by DropDatabase when asked to drop the
// database its maintenance connection is connected to: PostgreSQL cannot
// drop the currently open database, and on PostgreSQL 12 ending that
// database's sessions would end everybody else's work there too.
var ErrCurrentDatabase = errors.New("it is the database of the maintenance connection")

// dropRetries bounds how often DropDatabase, on PostgreSQL 12, ends the
// sessions of a database and tries again when new ones keep arriving.
const dropRetries = 10

// DropDatabase drops database name through maint, a connection to a
// maintenance database of the same server (usually "postgres"), ending the
// other sessions connected to it: with DROP DATABASE … WITH (FORCE) from
// PostgreSQL 13; on 12 by terminating them with pg_terminate_backend first,
// and again (up to 10 times) when new ones slip in before the drop. A
// database that does not exist is no error: dropped tells whether there was
// one to drop.
//
// It returns an error wrapping ErrCurrentDatabase, changing nothing, when
// name is maint's own database; a *ReadOnlyError on a hot standby; a
// *ConnectError when maint cannot be reached; and the server's error
// (wrapped; for example insufficient_privilege when the role may neither
// drop the database nor end its sessions) when the drop fails.
func DropDatabase(ctx context.Context, maint *sql.DB, name string) (dropped bool, err error) {
	if name == "" {
		return false, errors.New("no database name given")
	}
	conn, err := maint.Conn(ctx)
	if err != nil {
		return false, &ConnectError{Err: err}
	}
	defer conn.Close()
	var (
		n, version int
		standby    bool
		current    string
	)
	literal := pq.QuoteLiteral(name)
	if err := conn.QueryRowContext(ctx, pgsql.Render(pgsql.DropDatabaseCheck, "name", literal)).Scan(&n, &standby, &current, &version); err != nil {
		return false, &ConnectError{Err: err}
	}
	if standby {
		return false, &ReadOnlyError{Standby: true}
	}
	if current == name {
		return false, fmt.Errorf("cannot drop database %q: %w", name, ErrCurrentDatabase)
	}
	if n == 0 {
		return false, nil
	}
	identifier := pq.QuoteIdentifier(name)
	if version >= 130000 {
		stmt := pgsql.Render(pgsql.DropDatabase, "name", identifier, "options", " WITH (FORCE)")
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("dropping database %q: %w", name, err)
		}
		return true, nil
	}
	terminate := pgsql.Render(pgsql.TerminateDatabaseSessions, "name", literal)
	drop := pgsql.Render(pgsql.DropDatabase, "name", identifier, "options", "")
	for attempt := 1; ; attempt++ {
		var ended int
		if err := conn.QueryRowContext(ctx, terminate).Scan(&ended); err != nil {
			return false, fmt.Errorf("ending the sessions of database %q: %w", name, err)
		}
		// DROP DATABASE waits up to 5 s for terminated sessions to exit;
		// object_in_use (55006) means a session is still, or newly, there.
		_, err := conn.ExecContext(ctx, drop)
		if err == nil {
			return true, nil
		}
		if sqlState(err) != "55006" || attempt == dropRetries {
			return false, fmt.Errorf("dropping database %q: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
