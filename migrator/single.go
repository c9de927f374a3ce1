package migrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// SingleTransactionError reports pending migrations that carry
// disable-transaction while the run was asked to apply every pending
// migration in one transaction: they cannot run inside one. Nothing was
// applied.
type SingleTransactionError struct {
	Files []string // the disable-transaction files among the pending ones
}

func (e *SingleTransactionError) Error() string {
	return fmt.Sprintf("cannot apply the pending migrations in one transaction: %s carr%s disable-transaction and must run outside a transaction; nothing was applied",
		strings.Join(e.Files, ", "), map[bool]string{true: "ies", false: "y"}[len(e.Files) == 1])
}

// WithSingleTransaction makes Apply run all pending migrations and their
// bookkeeping rows in one transaction: if one fails, none stays applied,
// and the database stays as the previous release knew it. A pending
// disable-transaction file makes Apply refuse before anything runs
// (*SingleTransactionError). Lock retries do not apply: a lock timeout
// ends the whole transaction.
func WithSingleTransaction(on bool) Option {
	return func(o *options) error { o.singleTx = on; return nil }
}

// checkSingleTransaction refuses a single-transaction run with pending
// disable-transaction files.
func checkSingleTransaction(pending []Migration) error {
	var e SingleTransactionError
	for _, mig := range pending {
		if mig.DisableTransaction {
			e.Files = append(e.Files, mig.File)
		}
	}
	if len(e.Files) > 0 {
		return &e
	}
	return nil
}

// runSingleTransaction applies pending in one transaction: BEGIN, then one
// query string per migration (its timeouts, the lock-session check, the
// file, the session reset and its row), then COMMIT. On any failure it
// rolls back and returns no applied migrations.
func (m *Migrator) runSingleTransaction(ctx context.Context, s *session, pending []Migration) ([]MigrationResult, error) {
	if _, err := s.conn.ExecContext(ctx, pgsql.BeginMigration); err != nil {
		return nil, m.asConnectionLost(ctx, fmt.Errorf("starting the transaction: %w", err), "starting the transaction", nil, 0)
	}
	applied := make([]MigrationResult, 0, len(pending))
	for i, mig := range pending {
		if m.opts.beforeMigration != nil {
			m.opts.beforeMigration(i+1, len(pending), mig)
		}
		for _, w := range mig.warnings {
			m.opts.log.Warn(w, "file", mig.File)
		}
		t := m.timeoutsOf(mig)
		prefix := t.statements("LOCAL ") + s.assertLock() + "\n"
		suffix := "\n;\n" + pgsql.ResetSession + "\n" + s.table.recordStatement(mig, pgsql.MigrationDuration) + ";"
		query, body, err := m.readQuery(mig, prefix, suffix)
		if err != nil {
			rollback(ctx, s.conn)
			return nil, err
		}
		start := time.Now()
		if _, err := s.conn.ExecContext(ctx, query); err != nil {
			rollback(ctx, s.conn)
			merr := newMigrationError(mig, body, query, -len(prefix), 0, 0, err)
			merr.SingleTransaction = true
			if merr.SQLState == "PGM01" {
				return nil, &PoolerError{PID: s.pid, Reason: fmt.Sprintf("%s before %s ran (nothing was applied)", merr.Message, mig.File)}
			}
			merr.Timeout = t.explain(mig, merr.SQLState)
			if merr.Timeout == nil {
				merr.Timeout = lookupTimeout(ctx, s.conn, merr.Err)
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted while running %s: %w (%w)", mig.File, ctx.Err(), merr)
			}
			return nil, m.asConnectionLost(ctx, merr, "running "+mig.File, &mig, 0)
		}
		applied = append(applied, MigrationResult{Migration: mig, Duration: time.Since(start)})
	}
	if _, err := s.conn.ExecContext(ctx, pgsql.Commit); err != nil {
		rollback(ctx, s.conn)
		var lost *ConnectionLostError
		if err := m.asConnectionLost(ctx, err, "committing the transaction", nil, 0); errors.As(err, &lost) {
			return nil, err
		}
		return nil, fmt.Errorf("committing the transaction of %d migrations: %w", len(pending), err)
	}
	for _, a := range applied {
		m.opts.log.Info("applied migration", "id", a.ID, "name", a.Name, "file", a.File, "duration", a.Duration, "single_transaction", true)
	}
	return applied, nil
}
