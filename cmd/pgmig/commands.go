package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/pgmig/pgmig/migrator"
)

type statusCmd struct {
	folderFlags
}

func (c *statusCmd) Help() string {
	return `Shows one row per migration: id, name, state, when it was applied and how
long it took (where pgmig recorded it). States: applied, pending, changed
(file changed since it was applied), missing (applied, file gone),
hash-check-disabled (changed, but the file allows it). Times are the
server's local time, as stored in the tracking table. Takes no lock and
writes nothing, not even the tracking table on an empty database.

Examples:
  pgmig status ./migrations
  pgmig status --json ./migrations | jq '.migrations[] | select(.state != "applied")'`
}

func (c *statusCmd) Run(ctx context.Context, a *app) error {
	m, conn, db, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer db.Close()
	res, err := m.Status(ctx)
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	return c.report(a, res, explain(conn, err))
}

func (c *statusCmd) report(a *app, res *migrator.StatusResult, err error) error {
	if c.JSON {
		writeJSON(a.stdout, statusJSON("status", res), err, a.red.redact)
	} else if res != nil {
		printStatus(a.stdout, res, a.globals.Verbose)
	}
	return err
}

func statusJSON(command string, res *migrator.StatusResult) *jsonReport {
	r := &jsonReport{Command: command, Migrations: []jsonMigration{}}
	if res == nil {
		return r
	}
	r.Table, r.TableExists = res.Table, ptr(res.TableExists)
	r.Counts = map[string]int{}
	for _, s := range []migrator.State{migrator.StateApplied, migrator.StatePending, migrator.StateChanged, migrator.StateMissing, migrator.StateHashCheckDisabled} {
		r.Counts[string(s)] = res.Count(s)
	}
	for _, s := range res.Migrations {
		r.Migrations = append(r.Migrations, fromStatus(s))
	}
	return r
}

// logWarnings logs what applied files break: rules that no longer matter
// for them, but would refuse them as new migrations.
func logWarnings(a *app, warnings []migrator.FileProblem) {
	for _, w := range warnings {
		a.log.Warn().Str("file", w.File).Msg(w.Problem)
	}
}

type verifyCmd struct {
	folderFlags
	AllowPending bool `name:"allow-pending" help:"Accept pending migrations; changed or missing files still fail."`
}

func (c *verifyCmd) Help() string {
	return `The gate for CI and application start-up. Exits 0 only when every migration
is applied and every applied file is intact; exits 8 when migrations are
pending and 4 when an applied file changed or is missing, listing what is
wrong. Read-only: takes no lock and writes nothing.

Examples:
  pgmig verify ./migrations && exec ./server
  pgmig verify --allow-pending ./migrations   # deploy order: code first, then apply`
}

func (c *verifyCmd) Run(ctx context.Context, a *app) error {
	m, conn, db, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer db.Close()
	res, err := m.Verify(ctx, migrator.VerifyOptions{AllowPending: c.AllowPending})
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	return c.report(a, res, explain(conn, err))
}

func (c *verifyCmd) report(a *app, res *migrator.StatusResult, err error) error {
	if c.JSON {
		writeJSON(a.stdout, statusJSON("verify", res), err, a.red.redact)
	} else if err == nil && res != nil {
		skipped := res.Count(migrator.StateHashCheckDisabled)
		applied := res.Count(migrator.StateApplied) + skipped
		msg := fmt.Sprintf("ok: %s applied, every applied file intact", plural(applied, "migration"))
		if skipped > 0 {
			msg = fmt.Sprintf("ok: %s applied; %d intact, %d changed since applied and not checked (disable-hash-check)",
				plural(applied, "migration"), applied-skipped, skipped)
		}
		if n := res.Count(migrator.StatePending); n > 0 {
			msg += fmt.Sprintf(" (%d pending, allowed)", n)
		}
		fmt.Fprintln(a.stdout, msg)
	}
	return err
}

type validateCmd struct {
	Dir  string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	JSON bool   `name:"json" help:"Print the result as one JSON document on stdout."`
}

func (c *validateCmd) Help() string {
	return `Checks the files alone, with no database, in milliseconds: names, numbering,
UTF-8, headers, transaction control in transactional files, and statements
PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY,
VACUUM, ALTER SYSTEM, ...) in files without '-- pgmig disable-transaction'.
Fit for a pre-commit hook. Exits 3 when a file is invalid.

Examples:
  pgmig validate ./migrations
  pgmig validate --json ./migrations`
}

func (c *validateCmd) Run(a *app) error {
	var res *migrator.ValidateResult
	err := checkFolder(c.Dir)
	if err == nil {
		res, err = migrator.Validate(os.DirFS(c.Dir))
	}
	var fe *migrator.FileError
	if errors.As(err, &fe) && slices.ContainsFunc(fe.Problems, func(p migrator.FileProblem) bool { return p.RunRule }) {
		err = withHint(err, "validate holds every file to the rules of a file still to run; a file that a database has "+
			"already applied is only compared by its hash there: do not edit it, since that changes its hash")
	}
	if c.JSON {
		r := &jsonReport{Command: "validate", Migrations: []jsonMigration{}}
		if res != nil {
			r.Migrations = fromMigrations(res.Migrations)
			for _, w := range res.Warnings {
				r.Warnings = append(r.Warnings, jsonProblem{Kind: "warning", File: w.File, Message: w.Problem})
			}
		}
		writeJSON(a.stdout, r, err, a.red.redact)
		return err
	}
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintf(a.stdout, "warning: %s: %s\n", w.File, w.Problem)
		}
		fmt.Fprintf(a.stdout, "ok: %s valid\n", plural(len(res.Migrations), "migration file"))
	}
	return err
}

type planCmd struct {
	folderFlags
	To int `help:"Plan up to and including this id." placeholder:"ID"`
}

func (c *planCmd) Help() string {
	return `Runs every check of apply (files, hashes, missing files, who holds the lock)
and lists what apply would run, in order, with the headers that apply to each,
without changing the database. Same as 'pgmig apply --dry-run'.

Examples:
  pgmig plan ./migrations
  pgmig plan --to 12 --json ./migrations`
}

func (c *planCmd) Run(ctx context.Context, a *app) error {
	if c.To < 0 {
		return &usageError{msg: "--to must be a migration id (1 or more)"}
	}
	m, conn, db, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer db.Close()
	res, err := m.Plan(ctx, c.To)
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	return c.report(a, res, explain(conn, err))
}

func (c *planCmd) report(a *app, res *migrator.PlanResult, err error) error {
	if c.JSON {
		r := &jsonReport{Command: "plan", Target: c.To, Pending: []jsonMigration{}}
		if res != nil {
			r.Table, r.CreateTable, r.AlreadyApplied = res.Table, ptr(res.CreateTable), ptr(res.AlreadyApplied)
			r.Remaining = res.Remaining
			r.Pending = fromMigrations(res.Pending)
			r.HashCheckSkipped = fromMigrations(res.HashCheckSkipped)
			for _, h := range res.LockHolders {
				r.LockHolders = append(r.LockHolders, jsonLockHolder{PID: h.PID, ApplicationName: h.ApplicationName, Client: h.Client, ConnectedSeconds: h.ConnectedFor.Seconds()})
			}
		}
		writeJSON(a.stdout, r, err, a.red.redact)
	} else if res != nil && err == nil {
		printPlan(a.stdout, res)
	}
	return err
}
