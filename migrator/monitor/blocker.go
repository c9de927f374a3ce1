package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// Blocker is a session that blocked the watched server process: it held a
// lock the process waited for, or queued for one ahead of it.
type Blocker struct {
	PID             int
	User            string
	ApplicationName string
	Client          string        // client address, or "local"
	State           string        // "active", "idle in transaction", ...
	TransactionFor  time.Duration // how long its transaction has been open
	StateFor        time.Duration // how long it has been in State (since state_change)
	Query           string        // the start of its current or last query (none with Options.HideQueries)
}

func (b Blocker) String() string {
	app := b.ApplicationName
	if app == "" {
		app = "unnamed application"
	}
	s := fmt.Sprintf("pid %d (%s, user %s, from %s, %s", b.PID, app, b.User, b.Client, b.State)
	if b.TransactionFor > 0 {
		s += ", transaction open for " + b.TransactionFor.Round(time.Millisecond).String()
	}
	s += ")"
	if b.Query != "" {
		s += ": " + strconv.Quote(b.Query)
	}
	return s
}

// queryBlockers lists the sessions that block server process pid.
func queryBlockers(ctx context.Context, db *sql.DB, pid int) ([]Blocker, error) {
	return scanBlockers(db.QueryContext(ctx, pgsql.Render(pgsql.BlockingSessions, "pid", strconv.Itoa(pid))))
}

// terminateIdleBlockers terminates the sessions that block pid and have
// been idle in a transaction for longer than after, and returns them.
func terminateIdleBlockers(ctx context.Context, db *sql.DB, pid int, after time.Duration) ([]Blocker, error) {
	secs := strconv.FormatFloat(after.Seconds(), 'f', 3, 64)
	return scanBlockers(db.QueryContext(ctx, pgsql.Render(pgsql.TerminateIdleBlockers, "pid", strconv.Itoa(pid), "seconds", secs)))
}

func scanBlockers(rows *sql.Rows, err error) ([]Blocker, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []Blocker
	for rows.Next() {
		var b Blocker
		var xact, state float64
		var terminated bool
		dest := []any{&b.PID, &b.User, &b.ApplicationName, &b.Client, &b.State, &xact, &state, &b.Query}
		if len(cols) > len(dest) {
			dest = append(dest, &terminated)
		}
		if err := rows.Scan(dest...); err != nil {
			return out, err
		}
		if len(cols) > 8 && !terminated {
			continue // pg_terminate_backend found it gone
		}
		b.TransactionFor = seconds(xact)
		b.StateFor = seconds(state)
		out = append(out, b)
	}
	return out, rows.Err()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
