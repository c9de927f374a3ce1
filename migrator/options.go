package migrator

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/lib/pq"
)

type options struct {
	schema, table string
	explicitTable bool // WithTable was given: create that table when it is missing
	// othersExpected: WithOtherTrackingTables, no look for tables elsewhere
	othersExpected bool
	log            *slog.Logger
	lockWait       time.Duration // 0: wait until cancelled
	lockPoll       time.Duration // longest pause between two lock attempts
	syncEach       bool          // flush the WAL at every migration's commit
	// lockTimeout and statementTimeout apply to the statements of every
	// migration without a header of its own; 0: none.
	lockTimeout, statementTimeout time.Duration
	lockRetries                   int  // runs of a migration again after a lock timeout
	singleTx                      bool // all pending migrations in one transaction

	monitorAfter       time.Duration         // WithMonitor's threshold; 0: no reports
	monitorReport      func(MigrationReport) // nil: log each report
	hideBlockerQueries bool
	terminateIdleAfter time.Duration // 0: terminate nothing
	beforeMigration    func(n, of int, mig Migration)
	lockKey            int64 // advisory lock key; LockKey unless WithLockKey
}

// lockReportInterval is the time between two "still waiting for the lock"
// log events.
const lockReportInterval = 10 * time.Second

func defaultOptions() options {
	return options{
		table:    DefaultTable,
		log:      slog.New(slog.DiscardHandler),
		lockPoll: time.Second,
		lockKey:  LockKey,
	}
}

// Option configures a Migrator.
type Option func(*options) error

// WithOtherTrackingTables says that tracking tables in other schemas are
// expected, as with a schema per tenant: when the tracking table is
// missing, Apply and Status do not look for tables of its layout elsewhere
// (with WithTable they would only log them, with one catalog query; without
// it they would refuse). fleet sets it for the targets of tenant schemas.
func WithOtherTrackingTables() Option {
	return func(o *options) error {
		o.othersExpected = true
		return nil
	}
}

// WithTable sets the tracking table as "name" (resolved through the
// search_path) or "schema.name". Quote parts with double quotes to keep
// capitals or dots: `"My Schema"."Migrations"`.
//
// Without it the table is "migrations" through the search_path, and Apply
// refuses to create it when a table of that layout exists in another schema
// (a *TableElsewhereError): that means a wrong search path, not a new
// database. With it, Apply creates the named table when it is missing and
// only logs the tables found elsewhere.
func WithTable(qualified string) Option {
	return func(o *options) error {
		schema, table, err := splitQualifiedName(qualified)
		if err != nil {
			return fmt.Errorf("invalid table name %q: %w", qualified, err)
		}
		o.schema, o.table, o.explicitTable = schema, table, true
		return nil
	}
}

// WithLogger makes the Migrator log progress to l: at info level each
// applied migration, the lock taken after a wait and the tracking table
// created; at warn level what needs attention (changed files whose hash
// check is disabled, rules that applied files break); at debug level each
// statement of disable-transaction files. By default it logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("nil *slog.Logger")
		}
		o.log = l
		return nil
	}
}

// WithLockWait bounds the time Apply waits for the migration lock; when it
// runs out Apply returns an error matching [ErrLockTimeout]. Zero (the
// default) waits until the context is cancelled.
func WithLockWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("lock wait must not be negative, got %s", d)
		}
		o.lockWait = d
		return nil
	}
}

// WithSyncCommitEach makes every migration's commit wait for the WAL flush.
// By default only the last commit of a run waits, which flushes the earlier
// ones too: everything is durable when Apply returns, and a crash during the
// run leaves a consistent prefix of migrations, but the run does not pay one
// flush per migration.
func WithSyncCommitEach(on bool) Option {
	return func(o *options) error { o.syncEach = on; return nil }
}

// WithLockPollInterval sets the longest pause between two attempts to take
// the migration lock (default 1s; attempts start faster and slow down to it).
func WithLockPollInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("lock poll interval must be positive, got %s", d)
		}
		o.lockPoll = d
		return nil
	}
}

// regclassLiteral returns the tracking table as a regclass literal for
// to_regclass.
func (o options) regclassLiteral() string {
	name := pq.QuoteIdentifier(o.table)
	if o.schema != "" {
		name = pq.QuoteIdentifier(o.schema) + "." + name
	}
	return pq.QuoteLiteral(name)
}

// qualifiedTable is the tracking table as an SQL name, schema-qualified
// only when the user gave a schema (else search_path decides).
func (o options) qualifiedTable() string {
	name := pq.QuoteIdentifier(o.table)
	if o.schema != "" {
		name = pq.QuoteIdentifier(o.schema) + "." + name
	}
	return name
}

// displayTable is the tracking table's name as the user gave it.
func (o options) displayTable() string {
	if o.schema != "" {
		return o.schema + "." + o.table
	}
	return o.table
}

// WithLockTimeout sets lock_timeout for the statements of every migration
// (a file's '-- pgmig lock-timeout' header wins): a statement that waits
// longer than d for a lock fails with SQLSTATE 55P03 instead of making
// every later query on that table queue behind it. It never applies to
// pgmig's own bookkeeping or to the wait for the migration lock (see
// WithLockWait). Zero, the default, sets none: the session's setting holds.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if err := checkTimeout(d); err != nil {
			return fmt.Errorf("lock timeout: %w", err)
		}
		o.lockTimeout = d
		return nil
	}
}

// WithStatementTimeout sets statement_timeout for the statements of every
// migration (a file's '-- pgmig statement-timeout' header wins), not for
// pgmig's own. Zero, the default, sets none.
func WithStatementTimeout(d time.Duration) Option {
	return func(o *options) error {
		if err := checkTimeout(d); err != nil {
			return fmt.Errorf("statement timeout: %w", err)
		}
		o.statementTimeout = d
		return nil
	}
}

// WithLockRetries makes Apply run a migration again, up to n more times,
// when it failed on a lock timeout (SQLSTATE 55P03), after a pause that
// grows from 500ms and doubles up to a minute, with jitter. A transactional
// migration was rolled back whole, so the retry starts afresh; in a
// disable-transaction file only the failed statement runs again. Every
// other error stops the run as usual. Zero, the default, retries nothing.
func WithLockRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("lock retries must not be negative, got %d", n)
		}
		o.lockRetries = n
		return nil
	}
}

// checkTimeout checks a timeout for PostgreSQL: 0 or from 1ms up to
// INT_MAX milliseconds.
func checkTimeout(d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("must not be negative, got %s", d)
	case d > 0 && d < time.Millisecond:
		return fmt.Errorf("%s is below PostgreSQL's resolution of 1ms", d)
	case d > maxTimeout:
		return fmt.Errorf("%s is above PostgreSQL's limit of %s", d, maxTimeout)
	}
	return nil
}

// WithMonitor makes Apply look at every migration that has run for longer
// than after (for a disable-transaction file: every statement), through a
// second connection of the *sql.DB, and report what it sees every few
// seconds (as often as after, from 100ms up to 2s) until it ends: how long
// it has run, its server process's wait event, how long it has waited for
// a lock and who blocks it (pg_blocking_pids: pid, user, application,
// client, state, transaction age, query), and PostgreSQL's progress of a
// CREATE INDEX, REINDEX, CLUSTER, VACUUM FULL or VACUUM. report is called
// with each report, from another goroutine but never twice at once and
// never after the statement ended; a nil report logs each one at info
// level ("migration still running", see MigrationReport.LogAttrs). A
// migration that ends sooner costs a timer and no query. A *sql.DB limited
// to one connection is not watched.
func WithMonitor(after time.Duration, report func(MigrationReport)) Option {
	return func(o *options) error {
		if after <= 0 {
			return fmt.Errorf("monitor threshold must be positive, got %s", after)
		}
		o.monitorAfter, o.monitorReport = after, report
		return nil
	}
}

// WithBlockerQueries(false) leaves the query text of blocking sessions out
// of reports, logs and errors (it may hold data). By default the first 200
// characters are shown.
func WithBlockerQueries(show bool) Option {
	return func(o *options) error { o.hideBlockerQueries = !show; return nil }
}

// WithTerminateBlockers makes Apply terminate (pg_terminate_backend) the
// sessions that block a migration's statement and have been idle in a
// transaction for longer than d, counted from the moment they went idle
// (pg_stat_activity.state_change), logging each one at warn level. A
// session that runs a query is never terminated, however long it blocks.
// It looks from d (at most 5s) after the statement started, then every
// few seconds, through a second connection. Terminating takes the
// privileges of pg_signal_backend or the blocker's role. Zero, the
// default, terminates nothing.
func WithTerminateBlockers(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("terminate-blockers threshold must not be negative, got %s", d)
		}
		o.terminateIdleAfter = d
		return nil
	}
}

// WithBeforeMigration makes Apply call f before it runs each pending
// migration, with its position n (1-based) among the of migrations the
// call runs: for showing "n/of" while a long run proceeds.
func WithBeforeMigration(f func(n, of int, mig Migration)) Option {
	return func(o *options) error { o.beforeMigration = f; return nil }
}

// WithLockKey makes Apply take the session advisory lock key instead of
// [LockKey], the key shared with postgres-migrations. Runs exclude each
// other only when they use the same key: give it only to runs that must
// not wait for runs on other tracking tables of the same database (one
// tracking table per tenant schema, for example), and give every run on
// that table the same key. Plan reports the holders of this key.
func WithLockKey(key int64) Option {
	return func(o *options) error { o.lockKey = key; return nil }
}

// lockKeyLiteral is the lock key as SQL text.
func (o options) lockKeyLiteral() string { return strconv.FormatInt(o.lockKey, 10) }
