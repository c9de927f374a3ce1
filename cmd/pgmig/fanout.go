package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pgmig/pgmig/cmd/pgmig/internal/predial"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/pgmig/pgmig/migrator/fleet"
)

// fanoutFlags are the flags that run apply, status, verify, plan, lint
// or drift over many targets instead of one database.
type fanoutFlags struct {
	Targets      string `name:"targets" help:"Run on every target of FILE: one connection URL or key=value string per line, '#' starts a comment line, '-' reads stdin." placeholder:"FILE" group:"Many targets"`
	EachDatabase string `name:"each-database" help:"Run on every database of the server whose name matches the SQL LIKE PATTERN (e.g. 'tenant\\_%'), with the other connection settings of --url; templates, the database of --url and postgres are left out." placeholder:"PATTERN" group:"Many targets"`
	EachSchema   string `name:"each-schema" help:"Run on every schema of the database of --url whose name matches the SQL LIKE PATTERN, one tenant each: tracking table SCHEMA.migrations, search_path set to SCHEMA first, a lock of its own." placeholder:"PATTERN" group:"Many targets"`
	Parallel     int    `name:"parallel" short:"j" default:"4" help:"Targets worked on at once (one connection each; listing the targets takes one more)." placeholder:"N" group:"Many targets"`
	FailFast     bool   `name:"fail-fast" help:"Start no more targets after one failed (those running finish)." group:"Many targets"`
	Canary       int    `name:"canary" help:"Run the first N targets before the others; if one of them fails, stop there." placeholder:"N" group:"Many targets"`
}

// fanout reports whether the command runs over many targets.
func (f *fanoutFlags) fanout() bool {
	return f.Targets != "" || f.EachDatabase != "" || f.EachSchema != ""
}

// check refuses combinations that make no sense.
func (f *fanoutFlags) check(folder *folderFlags) error {
	n := 0
	for _, s := range []string{f.Targets, f.EachDatabase, f.EachSchema} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return &usageError{msg: "--targets, --each-database and --each-schema choose the targets: give one of them"}
	case f.Parallel < 1:
		return &usageError{msg: fmt.Sprintf("--parallel must be 1 or more, got %d", f.Parallel)}
	case f.Canary < 0:
		return &usageError{msg: fmt.Sprintf("--canary must not be negative, got %d", f.Canary)}
	case f.EachSchema != "" && folder.Table != "":
		return &usageError{msg: "--each-schema uses the tracking table SCHEMA.migrations of each schema: leave out --table"}
	}
	return nil
}

// fleetRow is what the summary keeps of one target.
type fleetRow struct {
	applied, alreadyApplied, pending int
	note                             string     // for the result column of a target that succeeded
	lint                             *fleetLint // lint, apply --lint: the target's findings
	drift                            *driftRow  // drift: the target's differences
}

// fleetOp runs a command on one target.
type fleetOp func(ctx context.Context, m *migrator.Migrator) (fleetRow, error)

// targetOp runs a command on one target.
type targetOp func(ctx context.Context, t *fleetTarget) (fleetRow, error)

// runFleet reads and checks the files once, lists the targets and runs op
// on each, then prints the summary. File errors come before any
// connection.
func (f *fanoutFlags) runFleet(ctx context.Context, a *app, command string, folder *folderFlags, opts []migrator.Option, op fleetOp) error {
	return f.runFleetOn(ctx, a, command, folder, opts, func(ctx context.Context, t *fleetTarget) (fleetRow, error) {
		return op(ctx, t.m)
	})
}

// runFleetOn is runFleet for an operation that needs more of the target
// than its Migrator (see fleetTarget).
func (f *fanoutFlags) runFleetOn(ctx context.Context, a *app, command string, folder *folderFlags, opts []migrator.Option, op targetOp) error {
	if err := f.check(folder); err != nil {
		return err
	}
	if err := checkFolder(folder.Dir); err != nil {
		return err
	}
	files, err := migrator.ReadFiles(dirfs.New(folder.Dir))
	if err != nil {
		return err
	}
	targets, source, err := f.listTargets(ctx, a)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return &usageError{msg: "no targets: " + source + " names none"}
	}
	if folder.Table != "" {
		opts = append(opts, migrator.WithTable(folder.Table))
	}
	r := &fleet.Runner{Parallel: f.Parallel, FailFast: f.FailFast, Canary: f.Canary, Options: opts, Logger: librarySlog(a.log)}
	if a.status != nil {
		r.Progress = func(p fleet.Progress) { a.status.set(p.String()) }
	}
	a.log.Info().Int("targets", len(targets)).Str("dir", folder.Dir).Int("files", len(files.Migrations())).Int("parallel", f.Parallel).Msg(command + " over many targets")
	if command == "apply" {
		a.lockTaken = true
	}
	results := fleet.Run(ctx, r, files, targets, func(ctx context.Context, t fleet.Target, m *migrator.Migrator) (fleetRow, error) {
		row, err := op(ctx, &fleetTarget{Target: t, files: files, m: m, opts: opts, logger: r.Logger})
		if !errors.As(err, new(explainedError)) {
			err = explain(&connSettings{cfg: t.Config, source: source}, err)
		}
		if err != nil {
			a.log.Error().Str("target", t.Name).Str("error", err.Error()).Msg(command + " failed on a target")
		}
		return row, err
	})
	a.status.clear()
	ferr := fleetFailure(results, ctx)
	if folder.JSON {
		writeFleetJSON(a.stdout, command, results, ferr, a.red.redact)
	} else {
		printFleet(a.stdout, command, results, a.red.redact)
	}
	if ferr != nil {
		return ferr
	}
	return nil
}

// listTargets reads or finds the targets, and says where they came from.
func (f *fanoutFlags) listTargets(ctx context.Context, a *app) ([]fleet.Target, string, error) {
	if f.Targets != "" {
		return f.readTargetsFile(a)
	}
	settings, err := resolveSettings(a.globals.URL, a.red)
	if err != nil {
		return nil, "", err
	}
	var targets []fleet.Target
	source := settings.source
	if f.EachDatabase != "" {
		targets, err = fleet.EachDatabase(ctx, settings.cfg, f.EachDatabase)
		source = fmt.Sprintf("--each-database %q (settings from %s)", f.EachDatabase, settings.source)
	} else {
		targets, err = fleet.EachSchema(ctx, settings.cfg, f.EachSchema)
		source = fmt.Sprintf("--each-schema %q in %s (settings from %s)", f.EachSchema, settings.describe(""), settings.source)
	}
	return targets, source, explain(settings, err)
}

// readTargetsFile reads --targets, giving each target pgmig's defaults
// and registering its password with the redactor.
func (f *fanoutFlags) readTargetsFile(a *app) ([]fleet.Target, string, error) {
	var in io.Reader
	source := "--targets " + f.Targets
	if f.Targets == "-" {
		source = "--targets - (stdin)"
		if a.stdin == nil {
			return nil, "", &usageError{msg: "--targets -: no stdin to read the targets from"}
		}
		in = a.stdin
	} else {
		file, err := os.Open(f.Targets)
		if err != nil {
			return nil, "", &usageError{msg: fmt.Sprintf("--targets: %v", unwrapPath(err))}
		}
		defer file.Close()
		in = file
	}
	// Register the passwords before anything can print a line.
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, "", &usageError{msg: fmt.Sprintf("--targets: %v", err)}
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		a.red.add(urlPassword(line))
		a.red.add(dsnPassword(line))
	}
	targets, err := fleet.ReadTargets(strings.NewReader(string(b)))
	var te *fleet.TargetsError
	if errors.As(err, &te) {
		return nil, "", &usageError{msg: fmt.Sprintf("%s: %s", source, a.red.redact(err.Error()))}
	}
	if err != nil {
		return nil, "", err
	}
	for i := range targets {
		predial.Defaults(&targets[i].Config)
		a.red.add(targets[i].Config.Password)
	}
	return targets, source, nil
}
