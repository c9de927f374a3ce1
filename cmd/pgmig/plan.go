package main

import (
	"context"
	"errors"

	"github.com/pgmig/pgmig/migrator"
)

// planCmd is 'pgmig plan', and 'pgmig apply --dry-run'.
type planCmd struct {
	folderFlags
	fanoutFlags
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
	return c.report(a, res, explain(o.settings, err))
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
