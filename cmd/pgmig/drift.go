package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/drift"
)

// inspectFlags choose what schema inspection looks at.
type inspectFlags struct {
	ExcludeSchema []string `name:"exclude-schema" help:"Schema to leave out (repeatable), besides pg_catalog, information_schema and pg_toast." placeholder:"SCHEMA"`
	Privileges    bool     `help:"Compare owners and grants too (the role that inspects shows as CURRENT_USER)."`
}

// options returns the inspection options for the tracking table table.
func (f *inspectFlags) options(table string) drift.Options {
	return drift.Options{ExcludeSchemas: f.ExcludeSchema, TrackingTable: table, Privileges: f.Privileges}
}

// driftCmd is 'pgmig drift'.
type driftCmd struct {
	folderFlags
	devFlags
	inspectFlags
	All          bool   `help:"Build every migration of the folder, not only those the database has applied."`
	Against      string `help:"Compare with this schema file (written by 'pgmig schema') instead of building a dev database; first checks the applied migrations as verify does." type:"existingfile" placeholder:"FILE"`
	AllowPending bool   `name:"allow-pending" help:"With --against: accept pending migrations (and compare all the same); changed or missing files still fail."`
	fanoutFlags
}

func (c *driftCmd) Help() string {
	return `Tells whether the database's schema is what its migrations build. The
migrations the database has applied (all with --all) run in a scratch dev
database (--dev-url, else a throwaway local cluster of the target's major
version) with the search path of the target's session; then both databases are inspected through the system catalogs
and compared object by object: schemas, tables and partitions, columns,
constraints, indexes, extended statistics, views, materialized views,
functions, procedures, aggregates, triggers, rules, sequences, types,
domains, extensions, row-level security and policies, comments, and with
--privileges owners and grants. Each
difference shows what the migrations build beside what the database has.
With --against schema.sql the database is compared with that file: no dev
database, read-only, fast. As the file describes every migration of the
folder, --against first checks the applied migrations as verify does:
exits 8 when migrations are pending (--allow-pending compares all the
same, with a warning) and 4 when an applied file changed or is missing.
With --targets or --each-database, each database is compared with the
--against file, read once, or with a dev database built once for each
number of applied migrations (and server version and search path) that
targets share; a summary row per target follows the differences
(--each-schema is refused: a tenant's objects live in its own schema).
Exits 16 when the schema drifted; a column order that differs is reported
as information only.

Examples:
  pgmig drift ./migrations
  pgmig drift --dev-setup roles.sql --exclude-schema audit ./migrations
  pgmig drift --against schema.sql ./migrations && exec ./server
  pgmig drift --against schema.sql --allow-pending ./migrations
  pgmig drift --json ./migrations | jq '.differences[] | select(.kind == "extra")'
  pgmig drift --against schema.sql --targets fleet.txt ./migrations   # every database of the list`
}

// driftReport is the document of drift --json.
type driftReport struct {
	Command     string             `json:"command"`
	OK          bool               `json:"ok"`
	Drifted     bool               `json:"drifted"`
	Expected    string             `json:"expected,omitempty"` // where the expected schema came from
	BuiltTo     *int               `json:"built_to,omitempty"`
	Dev         *jsonDev           `json:"dev,omitempty"`
	Objects     int                `json:"objects"`
	Differences []drift.Difference `json:"differences"`
	Error       *jsonError         `json:"error,omitempty"`

	compared bool // the comparison ran
}

// jsonDev describes the dev database server in JSON output.
type jsonDev struct {
	Version   string `json:"version"`
	Throwaway bool   `json:"throwaway"`
}

func (c *driftCmd) Run(ctx context.Context, a *app) error {
	if c.fanout() {
		return c.runFleet(ctx, a)
	}
	rep := &driftReport{Command: "drift", Differences: []drift.Difference{}}
	err := c.run(ctx, a, rep)
	if err == nil && drift.Drifted(rep.Differences) {
		err = &drift.Error{Differences: rep.Differences, Source: c.Against}
	}
	rep.Drifted = drift.Drifted(rep.Differences)
	if c.JSON {
		rep.OK = err == nil
		rep.Error = toJSONError(err, a.red.redact)
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
	} else if rep.compared {
		left := "migrations build"
		if c.Against != "" {
			left = "schema file has"
		}
		printDifferences(a.stdout, rep.Differences, left, "database has")
		printDriftSummary(a.stdout, rep)
	}
	var de *drift.Error
	if errors.As(err, &de) {
		return &briefDrift{de}
	}
	return err
}

// run fills rep with the differences.
func (c *driftCmd) run(ctx context.Context, a *app, rep *driftReport) error {
	o, err := c.open(a)
	if err != nil {
		return err
	}
	defer o.close()
	var expected *drift.Schema
	if c.Against != "" {
		if expected, err = readSchemaFile(c.Against); err != nil {
			return err
		}
		rep.Expected = c.Against
		// The file describes every migration of the folder: like the
		// library's start-up check, first verify the tracking rows, so
		// that pending migrations and changed files fail as in verify.
		st, err := o.migrator.Verify(ctx, migrator.VerifyOptions{AllowPending: c.AllowPending})
		if st != nil {
			logWarnings(a, st.Warnings)
		}
		if err != nil {
			return explain(o.settings, err)
		}
		if n := st.Count(migrator.StatePending); n > 0 {
			a.log.Warn().Int("pending", n).Msgf("%s pending: %s describes the schema after every migration of the folder",
				plural(n, "migration"), c.Against)
		}
	} else {
		if expected, err = c.build(ctx, a, o, rep); err != nil {
			return err
		}
	}
	actual, err := drift.Inspect(ctx, o.db, c.options(c.Table))
	if err != nil {
		return explain(o.settings, err)
	}
	rep.Objects = actual.Len()
	rep.Differences = drift.Compare(expected, actual)
	rep.compared = true
	return nil
}

// build builds the migrations the target has applied (all with --all) in
// a dev database and inspects it.
func (c *driftCmd) build(ctx context.Context, a *app, o *opened, rep *driftReport) (*drift.Schema, error) {
	upTo := 0
	if !c.All {
		st, err := o.migrator.Status(ctx)
		if st == nil {
			return nil, explain(o.settings, err)
		}
		if err != nil {
			a.log.Warn().Err(err).Msg("the dev database is built from the files as they are now")
		}
		for _, s := range st.Migrations {
			if s.State != migrator.StatePending && s.State != migrator.StateMissing && s.ID > upTo {
				upTo = s.ID
			}
		}
	}
	dev, err := c.openDev(ctx, a, o.db)
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	rep.Dev = &jsonDev{Version: dev.Server().Version, Throwaway: dev.Server().Throwaway}
	rep.Expected = "migrations"
	built := upTo
	if c.All || upTo > 0 {
		res, err := dev.Build(ctx, os.DirFS(c.Dir), upTo, c.migratorOptions()...)
		if err != nil {
			return nil, explainDev(nil, err)
		}
		built = res.AlreadyApplied + len(res.Applied)
	}
	rep.BuiltTo = &built
	s, err := drift.Inspect(ctx, dev.DB(), c.options(c.Table))
	if err != nil {
		return nil, fmt.Errorf("inspect the dev database: %w", err)
	}
	return s, nil
}

// migratorOptions are the options of the migrator that builds the dev
// database.
func (f *folderFlags) migratorOptions() []migrator.Option {
	if f.Table == "" {
		return nil
	}
	return []migrator.Option{migrator.WithTable(f.Table)}
}

// readSchemaFile reads a schema file written by 'pgmig schema'.
func readSchemaFile(path string) (*drift.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &usageError{msg: "read schema file: " + unwrapPath(err).Error()}
	}
	s, err := drift.ParseSQL(b)
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", path, err), "write it again with 'pgmig schema --output "+path+" DIR'")
	}
	return s, nil
}

// printDriftSummary prints the last line of drift's human output.
func printDriftSummary(w io.Writer, rep *driftReport) {
	source := rep.Expected
	if rep.Dev != nil {
		source = fmt.Sprintf("the migrations (up to %d, built on %s)", *rep.BuiltTo, devLabel(rep.Dev))
	}
	counts := map[drift.DiffKind]int{}
	for _, d := range rep.Differences {
		counts[d.Kind]++
	}
	if !rep.Drifted {
		fmt.Fprintf(w, "no drift: %s compared with %s", plural(rep.Objects, "object"), source)
		if n := counts[drift.Reordered]; n > 0 {
			fmt.Fprintf(w, " (%s with columns in another order, information only)", plural(n, "table"))
		}
		fmt.Fprintln(w)
		return
	}
	n := len(rep.Differences) - counts[drift.Reordered]
	fmt.Fprintf(w, "drift: %s (%d missing, %d extra, %d changed) against %s\n",
		plural(n, "difference"), counts[drift.Missing], counts[drift.Extra], counts[drift.Changed], source)
}

// devLabel describes the dev server of a report.
func devLabel(d *jsonDev) string {
	if d.Throwaway {
		return "PostgreSQL " + d.Version + ", throwaway cluster"
	}
	return "PostgreSQL " + d.Version + ", --dev-url"
}
