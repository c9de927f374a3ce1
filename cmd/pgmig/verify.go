package main

import (
	"context"
	"fmt"

	"github.com/pgmig/pgmig/migrator"
)

// verifyCmd is 'pgmig verify'.
type verifyCmd struct {
	folderFlags
	fanoutFlags
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
	if c.fanout() {
		return c.runFleet(ctx, a)
	}
	o, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer o.close()
	res, err := o.migrator.Verify(ctx, migrator.VerifyOptions{AllowPending: c.AllowPending})
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	return c.report(a, res, explain(o.settings, err))
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
