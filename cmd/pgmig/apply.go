package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// applyCmd is 'pgmig apply'.
type applyCmd struct {
	folderFlags
	To       int           `help:"Apply pending migrations up to and including this id, no further." placeholder:"ID"`
	DryRun   bool          `name:"dry-run" help:"Check everything and show what would run, changing nothing (as 'pgmig plan')."`
	LockWait time.Duration `help:"Give up after waiting this long for another run's lock (e.g. 30s, 5m; default: wait until interrupted)." placeholder:"DURATION"`
	CreateDB bool          `name:"create-db" help:"Create the database first if it does not exist (as 'pgmig createdb')."`
	SyncEach bool          `name:"sync-commit-each" help:"Wait for the WAL flush at every migration's commit (default: only the last commit of a run waits, which makes all of them durable)."`

	SingleTransaction bool `name:"single-transaction" help:"Apply all pending migrations and their bookkeeping rows in one transaction: if one fails, none stays applied. Refused when a pending file carries disable-transaction."`
	Lint              bool `help:"Lint the migrations to apply first, and apply nothing when one has a finding of error severity (see 'pgmig lint')."`

	LockTimeout      time.Duration `name:"lock-timeout" help:"lock_timeout for the migrations' statements (e.g. 2s; a file's '-- pgmig lock-timeout' header wins; default: the session's setting). Never applies to pgmig's bookkeeping or to --lock-wait." placeholder:"DURATION"`
	StatementTimeout time.Duration `name:"statement-timeout" help:"statement_timeout for the migrations' statements (e.g. 10m; a file's '-- pgmig statement-timeout' header wins; default: the session's setting)." placeholder:"DURATION"`
	LockRetries      int           `name:"lock-retries" help:"Run a migration again, up to N times, when it failed on a lock timeout: it was rolled back, so it starts afresh after a pause of 500ms doubling to 1m, with jitter (default 0)." placeholder:"N"`

	ReportAfter            time.Duration `name:"report-after" default:"5s" help:"Once a migration (or a statement of a disable-transaction file) has run this long, report every few seconds, through a second connection, its wait event, who blocks it and PostgreSQL's progress of CREATE INDEX, REINDEX, CLUSTER and VACUUM: a status line on a terminal, one log event per report in JSON logs, the waits per migration with --json. 0 turns it off." placeholder:"DURATION"`
	NoBlockerQueries       bool          `name:"no-blocker-queries" help:"Leave the query text of blocking sessions out of reports, logs and errors."`
	TerminateBlockersAfter time.Duration `name:"terminate-blockers-after" help:"Terminate (pg_terminate_backend) sessions that block a migration and have been idle in a transaction for longer than this (e.g. 30s), logging each one; a session running a query is never terminated (default: terminate nothing)." placeholder:"DURATION"`
	createdbOptions
	fanoutFlags
}

func (c *applyCmd) Help() string {
	return `Applies every pending migration of DIR in id order and records each one in
the tracking table. Applied files are compared with the hash stored when they
ran: a changed or missing file stops the run before anything is applied.
Concurrent runs on one database take turns through an advisory lock.

Files: NNN_name.sql at the top level of DIR, ids 1, 2, 3, ... with no gap.
Header lines: '-- pgmig disable-transaction' runs a file statement by statement
outside a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE,
VACUUM); '-- pgmig disable-hash-check' lets a file change after it ran;
'-- pgmig lock-timeout 2s' and '-- pgmig statement-timeout 10m' set timeouts
for that file's statements.

Examples:
  pgmig apply ./migrations
  pgmig apply --lock-wait 2m --url postgres://deploy@db/app ./migrations
  pgmig apply --lock-timeout 2s --lock-retries 5 ./migrations   # never queue behind a long transaction
  pgmig apply --report-after 1s ./migrations       # who blocks, and index build progress, after 1s
  pgmig apply --terminate-blockers-after 1m ./migrations   # end sessions idle in a transaction for 1m that block
  pgmig apply --to 12 ./migrations          # stop after migration 12
  pgmig apply --dry-run ./migrations        # show what would run
  pgmig apply --single-transaction ./migrations   # all or nothing
  pgmig apply --lint --lock-timeout 2s ./migrations   # refuse migrations that would lock a busy table
  pgmig apply --create-db --table ops.schema_migrations ./migrations
  pgmig apply --each-database 'tenant\_%' -j 8 ./migrations   # every tenant database, 8 at a time
  pgmig apply --each-schema 'tenant\_%' --canary 2 ./migrations   # schema per tenant, 2 first`
}

// Validate checks the flags of apply once, before anything runs.
func (c *applyCmd) Validate() error {
	if c.To < 0 {
		return errors.New("--to must be a migration id (1 or more)")
	}
	if c.LockWait < 0 {
		return fmt.Errorf("--lock-wait must not be negative, got %s", c.LockWait)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--lock-timeout", c.LockTimeout}, {"--statement-timeout", c.StatementTimeout}} {
		if f.d < 0 || f.d > 0 && f.d < time.Millisecond {
			return fmt.Errorf("%s must be 0 or at least 1ms, got %s", f.name, f.d)
		}
	}
	if c.LockRetries < 0 {
		return fmt.Errorf("--lock-retries must not be negative, got %d", c.LockRetries)
	}
	if c.ReportAfter < 0 {
		return fmt.Errorf("--report-after must not be negative, got %s", c.ReportAfter)
	}
	if c.TerminateBlockersAfter < 0 {
		return fmt.Errorf("--terminate-blockers-after must not be negative, got %s", c.TerminateBlockersAfter)
	}
	return nil
}

func (c *applyCmd) Run(ctx context.Context, a *app) error {
	if c.DryRun {
		p := planCmd{folderFlags: c.folderFlags, To: c.To, fanoutFlags: c.fanoutFlags, LockTimeout: c.LockTimeout}
		return p.Run(ctx, a)
	}
	opts := []migrator.Option{migrator.WithLockWait(c.LockWait), migrator.WithSyncCommitEach(c.SyncEach),
		migrator.WithLockTimeout(c.LockTimeout), migrator.WithStatementTimeout(c.StatementTimeout), migrator.WithLockRetries(c.LockRetries),
		migrator.WithBlockerQueries(!c.NoBlockerQueries), migrator.WithTerminateBlockers(c.TerminateBlockersAfter),
		migrator.WithSingleTransaction(c.SingleTransaction)}
	if c.fanout() {
		return c.runFleet(ctx, a, opts)
	}
	if a.status != nil {
		st := &applyStatus{line: a.status}
		opts = append(opts, migrator.WithBeforeMigration(st.before))
		if c.ReportAfter > 0 {
			opts = append(opts, migrator.WithMonitor(c.ReportAfter, st.report))
		}
	} else if c.ReportAfter > 0 {
		opts = append(opts, migrator.WithMonitor(c.ReportAfter, nil)) // one log event per report
	}
	o, err := c.open(a, opts...)
	if err != nil {
		return c.report(a, &migrator.ApplyResult{}, err)
	}
	defer o.close()
	if c.CreateDB {
		if err := c.createdbOptions.create(ctx, a, o.settings, ""); err != nil {
			return c.report(a, &migrator.ApplyResult{}, err)
		}
	}
	if c.Lint {
		if err := lintBeforeApply(ctx, a, o, c.Dir, c.To, c.LockTimeout); err != nil {
			return c.report(a, &migrator.ApplyResult{}, err)
		}
	}
	a.log.Info().Str("database", o.settings.describe("")).Str("dir", c.Dir).Int("files", o.migrator.Len()).Msg("applying migrations")
	a.lockTaken = true
	res, err := o.migrator.ApplyTo(ctx, c.To)
	a.status.clear()
	err = explain(o.settings, err)
	if ie := (*migrator.IntegrityError)(nil); errors.As(err, &ie) {
		err = fmt.Errorf("%w\nnothing was applied", err)
	}
	ev := a.log.Info()
	if err != nil {
		ev = a.log.Error().Str("error", err.Error())
	}
	ev.Int("applied", len(res.Applied)).Int("already_applied", res.AlreadyApplied).
		Dur("duration", res.Duration).Msg(summary(res, err))
	return c.report(a, res, err)
}

// report prints the result of apply on stdout.
func (c *applyCmd) report(a *app, res *migrator.ApplyResult, err error) error {
	if c.JSON {
		r := &jsonReport{Command: "apply", Target: c.To, Applied: []jsonMigration{}, AlreadyApplied: ptr(res.AlreadyApplied),
			HashCheckSkipped: fromMigrations(res.HashCheckSkipped), DurationMS: millis(res.Duration),
			Table: res.Table, Remaining: res.Remaining, SingleTransaction: res.SingleTransaction}
		for _, m := range res.Applied {
			j := fromMigration(m.Migration)
			j.DurationMS = millis(m.Duration)
			j.Waits = fromWaits(m.Waits, a.red.redact)
			r.Applied = append(r.Applied, j)
		}
		writeJSON(a.stdout, r, err, a.red.redact)
		return err
	}
	printApplied(a.stdout, res, err)
	return err
}

// summary is the message of apply's last log event.
func summary(res *migrator.ApplyResult, err error) string {
	switch {
	case err != nil && len(res.Applied) > 0:
		return fmt.Sprintf("applied %d migrations before the failure", len(res.Applied))
	case err != nil:
		return "no migrations applied"
	case len(res.Applied) == 0:
		return "database is up to date; nothing to apply"
	default:
		return fmt.Sprintf("applied %d migrations", len(res.Applied))
	}
}
