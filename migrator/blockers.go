package migrator

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// Blocker is a session that blocked a migration's statement: it held a
// lock the statement waited for, or queued for one ahead of it.
type Blocker struct {
	PID             int
	User            string
	ApplicationName string
	Client          string        // client address, or "local"
	State           string        // "active", "idle in transaction", ...
	TransactionFor  time.Duration // how long its transaction has been open
	Query           string        // the start of its current or last query
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
func queryBlockers(ctx context.Context, q queryer, pid int) ([]Blocker, error) {
	rows, err := q.QueryContext(ctx, pgsql.Render(pgsql.BlockingSessions, "pid", strconv.Itoa(pid)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Blocker
	for rows.Next() {
		var b Blocker
		var secs float64
		if err := rows.Scan(&b.PID, &b.User, &b.ApplicationName, &b.Client, &b.State, &secs, &b.Query); err != nil {
			return out, err
		}
		b.TransactionFor = time.Duration(secs * float64(time.Second))
		out = append(out, b)
	}
	return out, rows.Err()
}

// blockerWatch samples, from a second connection, who blocks the
// migration's server process while one attempt runs, so that a lock
// timeout can say who it waited for. It looks only once the attempt has
// run for half the lock timeout: a migration that takes no lock wait
// costs no query.
type blockerWatch struct {
	stop chan struct{}
	mu   sync.Mutex
	last []Blocker // the latest non-empty sample
}

// watchBlockers starts sampling after first, then every every, until stop.
func (m *Migrator) watchBlockers(pid int, first, every time.Duration) *blockerWatch {
	w := &blockerWatch{stop: make(chan struct{})}
	go func() {
		t := time.NewTimer(first)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			bs, err := queryBlockers(ctx, m.db, pid)
			cancel()
			if err == nil && len(bs) > 0 {
				w.mu.Lock()
				w.last = bs
				w.mu.Unlock()
			}
			t.Reset(every)
		}
	}()
	return w
}

// done stops the sampling (without waiting for a query in flight) and
// returns the latest blockers seen.
func (w *blockerWatch) done() []Blocker {
	close(w.stop)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}
