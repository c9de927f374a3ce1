package main

import (
	"context"
	"fmt"

	"github.com/pgmig/pgmig/migrator"
)

// The fan-out form of apply, status, verify and plan: each command's
// work on one target, summed up in a fleetRow (lint, apply --lint and
// drift: fanout_lint.go, fanout_drift.go).

func (c *applyCmd) runFleet(ctx context.Context, a *app, opts []migrator.Option) error {
	if c.CreateDB {
		return &usageError{msg: "--create-db creates one database: it does not go with --targets, --each-database or --each-schema"}
	}
	if c.Lint {
		return c.fanoutFlags.runFleetOn(ctx, a, "apply", &c.folderFlags, opts, c.applyLinted(newLintCache(c.Dir, c.LockTimeout)))
	}
	return c.fanoutFlags.runFleet(ctx, a, "apply", &c.folderFlags, opts, func(ctx context.Context, m *migrator.Migrator) (fleetRow, error) {
		res, err := m.ApplyTo(ctx, c.To)
		return fleetRow{applied: len(res.Applied), alreadyApplied: res.AlreadyApplied, pending: res.Remaining}, err
	})
}

func (c *statusCmd) runFleet(ctx context.Context, a *app) error {
	return c.fanoutFlags.runFleet(ctx, a, "status", &c.folderFlags, nil, func(ctx context.Context, m *migrator.Migrator) (fleetRow, error) {
		res, err := m.Status(ctx)
		if err != nil {
			return fleetRow{}, err
		}
		return statusRow(res), nil
	})
}

func (c *verifyCmd) runFleet(ctx context.Context, a *app) error {
	return c.fanoutFlags.runFleet(ctx, a, "verify", &c.folderFlags, nil, func(ctx context.Context, m *migrator.Migrator) (fleetRow, error) {
		res, err := m.Verify(ctx, migrator.VerifyOptions{AllowPending: c.AllowPending})
		if res == nil {
			return fleetRow{}, err
		}
		return statusRow(res), err
	})
}

func (c *planCmd) runFleet(ctx context.Context, a *app) error {
	return c.fanoutFlags.runFleet(ctx, a, "plan", &c.folderFlags, nil, func(ctx context.Context, m *migrator.Migrator) (fleetRow, error) {
		res, err := m.Plan(ctx, c.To)
		if res == nil {
			return fleetRow{}, err
		}
		r := fleetRow{pending: len(res.Pending), alreadyApplied: res.AlreadyApplied}
		if n := len(res.LockHolders); n > 0 {
			r.note = fmt.Sprintf("apply would wait for the lock (held by pid %d)", res.LockHolders[0].PID)
		}
		return r, err
	})
}

// statusRow sums up a status: applied and pending counts, and what is
// wrong with the applied files.
func statusRow(res *migrator.StatusResult) fleetRow {
	r := fleetRow{
		applied: res.Count(migrator.StateApplied) + res.Count(migrator.StateHashCheckDisabled),
		pending: res.Count(migrator.StatePending),
	}
	if n := res.Count(migrator.StateChanged); n > 0 {
		r.note = fmt.Sprintf("%d changed", n)
	}
	if n := res.Count(migrator.StateMissing); n > 0 {
		if r.note != "" {
			r.note += ", "
		}
		r.note += fmt.Sprintf("%d missing", n)
	}
	return r
}
