package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/lint"
)

// planCmd is 'pgmig plan', and 'pgmig apply --dry-run'.
type planCmd struct {
	folderFlags
	fanoutFlags
	To int `help:"Plan up to and including this id." placeholder:"ID"`
	// LockTimeout is apply's, for the lint of the pending migrations.
	LockTimeout time.Duration `name:"lock-timeout" help:"The lock_timeout apply will run with, for the lint findings of the pending migrations (see 'pgmig lint')." placeholder:"DURATION"`

	Measure bool `help:"Measure the lint findings in a dev database (see 'pgmig lint --measure' and --dev-url)."`
	devFlags

	lint *lint.Result // findings of the pending migrations
}

func (c *planCmd) Help() string {
	return `Runs every check of apply (files, hashes, missing files, who holds the lock)
and lists what apply would run, in order, with the headers that apply to each
and the lint findings of each (see 'pgmig lint'), without changing the
database. Same as 'pgmig apply --dry-run'.

Examples:
  pgmig plan ./migrations
  pgmig plan --to 12 --json ./migrations
  pgmig plan --measure ./migrations     # lint findings measured in a dev database`
}

// Validate checks --to once, before anything runs.
func (c *planCmd) Validate() error {
	if c.To < 0 {
		return errors.New("--to must be a migration id (1 or more)")
	}
	return nil
}

func (c *planCmd) Run(ctx context.Context, a *app) error {
	if c.fanout() {
		return c.runFleet(ctx, a)
	}
	o, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer o.close()
	res, err := o.migrator.Plan(ctx, c.To)
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	if err == nil {
		c.lint, err = lintPlanned(ctx, o, c.Dir, res.Pending, c.LockTimeout)
		if err == nil && c.Measure && len(res.Pending) > 0 {
			lc := lintCmd{Table: c.Table, devFlags: c.devFlags}
			err = lc.measure(ctx, a, o.db, os.DirFS(c.Dir), o.migrator.Migrations(), res.Pending[0].ID, c.lint, planLintOptions(res.Pending, c.lint, c.LockTimeout))
		}
	}
	return c.report(a, res, explain(o.settings, err))
}

func (c *planCmd) report(a *app, res *migrator.PlanResult, err error) error {
	if c.JSON {
		r := &jsonReport{Command: "plan", Target: c.To, Pending: []jsonMigration{}}
		if res != nil {
			r.Table, r.CreateTable, r.AlreadyApplied = res.Table, ptr(res.CreateTable), ptr(res.AlreadyApplied)
			r.Remaining = res.Remaining
			r.Pending = fromMigrations(res.Pending)
			addLint(r.Pending, newLintOutput(a, ""), c.lint)
			r.HashCheckSkipped = fromMigrations(res.HashCheckSkipped)
			for _, h := range res.LockHolders {
				r.LockHolders = append(r.LockHolders, jsonLockHolder{PID: h.PID, ApplicationName: h.ApplicationName, Client: h.Client, ConnectedSeconds: h.ConnectedFor.Seconds()})
			}
		}
		writeJSON(a.stdout, r, err, a.red.redact)
	} else if res != nil && err == nil {
		printPlan(a.stdout, res)
		printPlanLint(a.stdout, a, res.Pending, c.lint)
	}
	return err
}
