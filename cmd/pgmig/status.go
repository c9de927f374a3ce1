package main

import (
	"context"

	"github.com/pgmig/pgmig/migrator"
)

// statusCmd is 'pgmig status'.
type statusCmd struct {
	folderFlags
	fanoutFlags
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
	if c.fanout() {
		return c.runFleet(ctx, a)
	}
	o, err := c.open(a)
	if err != nil {
		return c.report(a, nil, err)
	}
	defer o.close()
	res, err := o.migrator.Status(ctx)
	if res != nil {
		logWarnings(a, res.Warnings)
	}
	return c.report(a, res, explain(o.settings, err))
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
