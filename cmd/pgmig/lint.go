package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/pgmig/pgmig/migrator/lint"
	pgsql "github.com/pgmig/pgmig/sql"
)

// lintCmd is 'pgmig lint'.
type lintCmd struct {
	Dir         string        `arg:"" help:"Folder holding the migration files (top level only); findings name files by this path."`
	JSON        bool          `name:"json" help:"Print the findings as one JSON document on stdout (same as --format json)."`
	Format      string        `help:"Output: text, json, github (workflow annotations on the pull request's lines) or sarif (SARIF 2.1.0, for code scanning)." enum:"text,json,github,sarif" default:"text"`
	PGVersion   int           `name:"pg-version" help:"Major version of PostgreSQL the migrations will run on, 12 to 18 (default: the server's with connection settings, else 18)." placeholder:"N"`
	Strict      bool          `help:"Fail on warnings too, not only on errors."`
	LockTimeout time.Duration `name:"lock-timeout" help:"The lock_timeout apply will run the migrations with (apply --lock-timeout): then every statement has a lock timeout." placeholder:"DURATION"`
	Table       string        `help:"Tracking table as [schema.]name, to find the pending migrations (default: migrations)." placeholder:"TABLE"`
	measuredOn  string        // the dev server's version, after --measure

	Offline bool `help:"Lint every file without connecting, even when connection settings are given."`
	Measure bool `help:"Also run the migrations in a dev database (a scratch database, never the target: see --dev-url) and report the locks, rewrites and scans PostgreSQL itself reports."`
	devFlags
	fanoutFlags
}

func (c *lintCmd) Help() string {
	return `Reads the migrations and reports the statements that would hurt a busy
database while they run: index builds without CONCURRENTLY, table rewrites,
full scans under a strong lock, locks held for long, changes that break the
release still running, and strong locks taken with no lock timeout. Each
finding names the lock, what it blocks, and the safe way to write it.

Without connection settings (--url, $PGMIG_DATABASE_URL, $DATABASE_URL,
$PGHOST, $PGHOSTADDR or $PGDATABASE) every file is linted on its own, as if
the files before it were applied. With them, only the migrations pending in
that database are linted, as one run (what one of them creates is new for
the next), the server's version decides the version-dependent rules, and
each finding says how big its relation is there (read-only). With
--targets, --each-database or --each-schema, each target's pending
migrations are linted so (the files read once), its findings printed under
its name, then one summary row per target; with --measure they run in a dev
database built up to the target's last applied migration, one for each
group of targets with the same applied and pending migrations, server
major version and search path. --offline and --format github or sarif do
not go with them.

A lock timeout counts when --lock-timeout, the file's '-- pgmig
lock-timeout 2s' header, or a SET lock_timeout before the statement sets one.

A reviewed exception: '-- pgmig lint-ignore RULE[, RULE]' on the line
before the statement, or at the top of the file followed by a blank line
for the whole file; a reason may follow after '--'. A lint-ignore that
suppresses nothing is reported. Each finding names its rule; the README's
section "Lint" lists them all.

Exits 0 when there is no error finding, 15 when there is one (on a warning
too with --strict).

A reviewed exception, in a migration file:
  -- pgmig lint-ignore drop-column -- the release 4.2 no longer reads it
  ALTER TABLE orders DROP COLUMN legacy_total;

Examples:
  pgmig lint ./migrations
  pgmig lint --pg-version 13 --strict ./migrations
  pgmig lint --format github ./migrations      # annotations in GitHub Actions
  pgmig lint --format sarif ./migrations > lint.sarif
  pgmig lint --url postgres://app@db/app --json ./migrations   # pending migrations only
  pgmig lint --measure ./migrations            # measured on a throwaway local cluster
  pgmig lint --measure --dev-url postgres://dev@localhost/postgres ./migrations
  pgmig lint --each-database 'tenant\_%' --json ./migrations   # each tenant's pending migrations`
}

// Validate checks the flags once, before anything runs.
func (c *lintCmd) Validate() error {
	if c.PGVersion != 0 && (c.PGVersion < lint.OldestVersion || c.PGVersion > lint.NewestVersion) {
		return fmt.Errorf("--pg-version must be %d to %d, got %d", lint.OldestVersion, lint.NewestVersion, c.PGVersion)
	}
	if c.LockTimeout < 0 {
		return fmt.Errorf("--lock-timeout must not be negative, got %s", c.LockTimeout)
	}
	if c.JSON {
		if c.Format != "text" && c.Format != "json" {
			return fmt.Errorf("--json is --format json: give one of --json and --format %s", c.Format)
		}
		c.Format = "json"
	}
	return nil
}

func (c *lintCmd) Run(ctx context.Context, a *app) error {
	if c.fanout() {
		return c.runFleet(ctx, a)
	}
	res, err := c.lint(ctx, a)
	out := newLintOutput(a, c.Dir)
	out.measuredOn = c.measuredOn
	if err != nil {
		if c.Format == "json" {
			out.json(nil, err)
		}
		return err
	}
	err = lintVerdict(res, c.Strict)
	switch c.Format {
	case "json":
		out.json(res, err)
	case "github":
		out.github(res)
	case "sarif":
		out.sarif(res)
	default:
		out.text(res)
	}
	return err
}

// lint reads the folder, and the database when connection settings are
// given, and lints.
func (c *lintCmd) lint(ctx context.Context, a *app) (*lint.Result, error) {
	if err := checkFolder(c.Dir); err != nil {
		return nil, err
	}
	opts := []lint.Option{lint.WithLockTimeout(c.LockTimeout)}
	if c.PGVersion != 0 {
		opts = append(opts, lint.WithPGVersion(c.PGVersion))
	}
	fsys := dirfs.New(c.Dir)
	if c.Offline || !connectionGiven(a.globals.URL) {
		v, err := migrator.Validate(fsys)
		if err != nil {
			return nil, err
		}
		res, err := lint.Lint(fsys, v.Migrations, opts...)
		if err == nil && c.Measure {
			err = c.measure(ctx, a, nil, fsys, v.Migrations, 0, res, opts)
		}
		return res, err
	}
	f := folderFlags{Dir: c.Dir, Table: c.Table}
	o, err := f.open(a)
	if err != nil {
		return nil, err
	}
	defer o.close()
	plan, err := o.migrator.Plan(ctx, 0)
	if err != nil {
		return nil, explain(o.settings, err)
	}
	ids := make([]int, 0, len(plan.Pending))
	for _, m := range plan.Pending {
		ids = append(ids, m.ID)
	}
	opts = append(opts, lint.WithPending(ids...))
	if c.PGVersion == 0 {
		major, err := serverMajor(ctx, o)
		if err != nil {
			return nil, err
		}
		opts = append([]lint.Option{lint.WithPGVersion(major)}, opts...)
		a.log.Debug().Int("pg_version", major).Msg("lint follows the server's version")
	}
	res, err := lint.Lint(fsys, o.migrator.Migrations(), opts...)
	if err == nil && c.Measure && len(ids) > 0 {
		err = c.measure(ctx, a, o.db, fsys, o.migrator.Migrations(), ids[0], res, opts)
	}
	if err == nil {
		err = lint.Sizes(ctx, o.db, res)
	}
	return res, err
}

// measure runs the migrations lint reported on in a dev database, built
// first up to the one before firstPending (0: from scratch), and puts
// what PostgreSQL reported into the findings.
func (c *lintCmd) measure(ctx context.Context, a *app, target *sql.DB, fsys fs.FS, migs []migrator.Migration, firstPending int, res *lint.Result, opts []lint.Option) error {
	dev, err := c.openDev(ctx, a, target)
	if err != nil {
		return err
	}
	defer dev.Close()
	if firstPending > 1 {
		var tableOpts []migrator.Option
		if c.Table != "" {
			tableOpts = append(tableOpts, migrator.WithTable(c.Table))
		}
		if _, err := dev.Build(ctx, fsys, firstPending-1, tableOpts...); err != nil {
			return explainDev(nil, err)
		}
	}
	if _, err := lint.Measure(ctx, dev.DB(), fsys, migs, res, opts...); err != nil {
		return err
	}
	c.measuredOn = dev.Server().Version
	return nil
}

// serverMajor reads the server's major version, brought into the range
// lint knows.
func serverMajor(ctx context.Context, o *opened) (int, error) {
	var num int
	if err := o.db.QueryRowContext(ctx, pgsql.ServerVersionNum).Scan(&num); err != nil {
		return 0, o.settings.explainConnectError(err, "")
	}
	return min(max(num/10000, lint.OldestVersion), lint.NewestVersion), nil
}

// connectionEnv are the variables that, set, make lint read the pending
// migrations of a database; --url does too. PGUSER, PGPORT and the like
// alone do not: they are often set for other tools.
var connectionEnv = []string{"PGMIG_DATABASE_URL", "DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGDATABASE"}

// connectionGiven reports whether connection settings were given.
func connectionGiven(url string) bool {
	if url != "" {
		return true
	}
	for _, v := range connectionEnv {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// lintError is lint's verdict when findings fail the run.
type lintError struct {
	errors, warnings int
	strict           bool
}

func (e *lintError) Error() string {
	if e.strict && e.errors == 0 {
		return fmt.Sprintf("lint found %s (--strict fails on warnings)", plural(e.warnings, "warning"))
	}
	return fmt.Sprintf("lint found %s and %s", plural(e.errors, "error"), plural(e.warnings, "warning"))
}

// lintVerdict fails on an error finding, or on any warning with strict.
func lintVerdict(res *lint.Result, strict bool) error {
	e := &lintError{errors: res.Count(lint.SeverityError), warnings: res.Count(lint.SeverityWarning), strict: strict}
	if e.errors > 0 || strict && e.warnings > 0 {
		return e
	}
	return nil
}
