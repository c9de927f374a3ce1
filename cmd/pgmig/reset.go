package main

import (
	"context"
	"io"
	"time"
)

// resetCmd is 'pgmig reset': dropdb, createdb, apply.
type resetCmd struct {
	folderFlags
	destructiveFlags
	createdbOptions
}

func (c *resetCmd) Help() string {
	return `Drops the database of the connection settings, creates it again and applies
every migration of DIR: 'pgmig dropdb', 'pgmig createdb' and 'pgmig apply' in
one command, for a development or test database. The folder and its files
are checked before anything is dropped. --maintenance-db serves the drop and
the creation; --owner, --template, --encoding and --locale are createdb's.
With --json, stdout holds apply's JSON document alone.

Everything in the database is lost, so pgmig asks first: on a terminal you
type the database name; without one (scripts, CI) --yes is required. It
also refuses, before connecting, a server that is not on this machine
unless --allow-remote is given. A refusal exits with 13 and changes nothing.

Examples:
  pgmig reset --url postgres://postgres@localhost/app_dev ./migrations   # asks you to type app_dev
  PGDATABASE=app_test pgmig reset --yes ./migrations    # in a test script
  pgmig reset --yes --template template0 --locale C.UTF-8 ./migrations`
}

func (c *resetCmd) Run(ctx context.Context, a *app) error {
	// Check the folder and every file, and resolve the settings, before
	// anything is dropped; open makes no connection.
	o, err := c.openOffline(a)
	if err != nil {
		return c.fail(a, err)
	}
	o.close()
	settings, name := o.settings, o.settings.cfg.Database
	if err := c.confirm(ctx, a, settings, "reset", name, ", then create it and apply "+c.Dir); err != nil {
		return c.fail(a, err)
	}
	steps := a
	if c.JSON { // stdout is for apply's JSON document
		quiet := *a
		quiet.stdout = io.Discard
		steps = &quiet
	}
	if err := dropDatabase(ctx, steps, settings, c.MaintenanceDB, name); err != nil {
		return c.fail(a, err)
	}
	if err := c.createdbOptions.create(ctx, steps, settings, name); err != nil {
		return c.fail(a, err)
	}
	apply := &applyCmd{folderFlags: c.folderFlags, createdbOptions: c.createdbOptions, ReportAfter: 5 * time.Second}
	return apply.Run(ctx, a)
}

// fail reports an error of the steps before apply, as a JSON document with
// --json.
func (c *resetCmd) fail(a *app, err error) error {
	if c.JSON {
		writeJSON(a.stdout, &jsonReport{Command: "reset"}, err, a.red.redact)
	}
	return err
}
