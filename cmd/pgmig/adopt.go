package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
)

// adoptCmd is 'pgmig adopt'.
type adoptCmd struct {
	folderFlags
	From      string        `required:"" enum:"goose,golang-migrate,tern,dbmate,flyway" help:"The tool whose history to adopt: goose, golang-migrate, tern, dbmate or flyway." placeholder:"TOOL"`
	FromTable string        `name:"from-table" help:"That tool's history table as [schema.]name (default: goose_db_version, schema_migrations, schema_version or flyway_schema_history, found through the search path). Only read, never changed." placeholder:"TABLE"`
	Map       string        `help:"File giving, for each version of the other tool, the migration file that stands for it, when the numbering differs (see above)." placeholder:"FILE" type:"path"`
	Yes       bool          `help:"Write the rows. Without it adopt only shows the plan. Never taken from the environment." env:"-"`
	LockWait  time.Duration `help:"Give up after waiting this long for the migration lock (default: wait until interrupted)." placeholder:"DURATION"`
}

func (c *adoptCmd) Help() string {
	return `For a database migrated so far by another tool: reads that tool's history,
matches each applied version with a migration file of DIR by the id in its name
(or through --map), and records those files in pgmig's tracking table as
applied, with the hash of each file as it is now, without running any of
them. 'pgmig apply' then runs only what the other tool had not. The other
tool's table is only read.

Without --yes it shows the plan (version, file, what happens to it) and
writes nothing. With --yes it writes every row in one transaction under the
migration lock; adopting again writes nothing.

It refuses, writing nothing (exit 17), when the other tool's state is not one
to continue from, and lists every problem: golang-migrate dirty, a Flyway row
with success = false or a version undone, a goose version rolled back
(is_applied = false), an applied version that no file stands for, or a file
not applied below an applied one (pgmig applies in strict order).

Tools: goose (goose_db_version), golang-migrate (schema_migrations: the
current version; all below it count as applied), tern (schema_version, the
same), dbmate (schema_migrations, one row per version), flyway
(flyway_schema_history: a baseline counts every version up to it as applied;
repeatable migrations are not adopted and are listed as ignored).

--map FILE: one line per version, the version then the file (its name in
DIR, or its id), separated by blanks; '#' starts a comment. Only the versions
in the map are matched:
  # goose version   pgmig file
  20230114093000    0001_create-users.sql
  20230201120000    2

Examples:
  pgmig adopt --from goose ./migrations                  # show the plan
  pgmig adopt --from goose --yes ./migrations            # write it
  pgmig adopt --from golang-migrate --from-table app.schema_migrations ./migrations
  pgmig adopt --from dbmate --map versions.txt --yes ./migrations`
}

// Validate checks the flags once, before anything runs.
func (c *adoptCmd) Validate() error {
	if c.LockWait < 0 {
		return fmt.Errorf("--lock-wait must not be negative, got %s", c.LockWait)
	}
	return nil
}

func (c *adoptCmd) Run(ctx context.Context, a *app) error {
	opts := adopt.Options{Table: c.FromTable}
	if c.Map != "" {
		data, err := os.ReadFile(c.Map)
		if err != nil {
			return c.report(a, nil, &usageError{msg: fmt.Sprintf("--map %s: %v", c.Map, unwrapPath(err))})
		}
		if opts.Map, err = adopt.ParseMap(c.Map, data); err != nil {
			return c.report(a, nil, err)
		}
	}
	o, err := c.open(a, migrator.WithLockWait(c.LockWait))
	if err != nil {
		return c.report(a, nil, err)
	}
	defer o.close()
	tool := adopt.Tool(c.From)
	var res *adopt.Result
	if c.Yes {
		a.lockTaken = true
		res, err = adopt.Adopt(ctx, o.db, o.migrator, tool, opts)
	} else {
		res, err = adopt.Plan(ctx, o.db, o.migrator, tool, opts)
	}
	return c.report(a, res, explain(o.settings, err))
}

func (c *adoptCmd) report(a *app, res *adopt.Result, err error) error {
	if c.JSON {
		writeAdoptJSON(a.stdout, res, c.From, c.Yes, err, a.red.redact)
	} else if res != nil && err == nil {
		printAdopt(a.stdout, res, c.Yes)
	}
	return err
}

// printAdopt prints the plan, or what was written: one row per file, then
// one line saying what --yes does or did.
func printAdopt(w io.Writer, res *adopt.Result, written bool) {
	fmt.Fprintf(w, "%s history in %s, pgmig's tracking table %s:\n\n", res.Tool, res.ToolTable, res.Table)
	t := newAligned(w)
	fmt.Fprintln(t, row("VERSION", "FILE", "IN "+strings.ToUpper(string(res.Tool)), "ACTION"))
	for _, f := range res.Files {
		version := f.Version
		if version == "" {
			version = "-"
		}
		in := "not applied"
		switch {
		case f.Applied && !f.AppliedAt.IsZero():
			in = "applied " + f.AppliedAt.Format("2006-01-02 15:04:05")
		case f.UpTo && res.Tool == adopt.Flyway:
			in = "applied (baseline " + res.UpTo + ")"
		case f.UpTo:
			in = "applied (current version " + res.UpTo + ")"
		case f.Applied:
			in = "applied"
		}
		action := map[adopt.Action]string{adopt.ActionRecord: "record", adopt.ActionAlreadyRecorded: "already recorded", adopt.ActionPending: "left pending"}[f.Action]
		if written && f.Action == adopt.ActionRecord {
			action = "recorded"
		}
		fmt.Fprintln(t, row(version, f.File, in, action))
	}
	t.Flush()
	for _, e := range res.Ignored {
		what := e.Description
		if e.Version != "" {
			what = "version " + e.Version + " (" + e.Description + ")"
		}
		fmt.Fprintf(w, "ignored: %s: %s\n", what, e.Reason)
	}
	record, pending := res.Count(adopt.ActionRecord), res.Count(adopt.ActionPending)
	table := res.Table
	if res.CreateTable {
		table += " (created)"
		if !written {
			table = res.Table + " (creating it)"
		}
	}
	then := ""
	if pending > 0 {
		then = fmt.Sprintf("; %s left for 'pgmig apply'", plural(pending, "pending migration"))
	}
	switch {
	case record == 0:
		fmt.Fprintf(w, "\nnothing to record: every migration %s applied is already in %s%s\n", res.Tool, res.Table, then)
	case written:
		fmt.Fprintf(w, "\nrecorded %s as applied, without running them, in %s%s\n", plural(record, "migration"), table, then)
	default:
		fmt.Fprintf(w, "\ndry run, nothing was written: --yes records %s as applied, without running them, in %s%s\n",
			plural(record, "migration"), table, then)
	}
}

// The JSON document of adopt.
type adoptJSON struct {
	Command     string             `json:"command"`
	OK          bool               `json:"ok"`
	From        string             `json:"from"`
	FromTable   string             `json:"from_table,omitempty"`
	Table       string             `json:"table,omitempty"`
	DryRun      bool               `json:"dry_run"`
	CreateTable *bool              `json:"create_table,omitempty"`
	Written     bool               `json:"written"`
	Through     *int               `json:"through,omitempty"`
	UpTo        string             `json:"up_to,omitempty"`
	Files       []adoptFileJSON    `json:"files"`
	Ignored     []adoptIgnoredJSON `json:"ignored,omitempty"`
	Counts      map[string]int     `json:"counts,omitempty"`
	DurationMS  *float64           `json:"duration_ms,omitempty"`
	Error       *jsonError         `json:"error,omitempty"`
}

type adoptFileJSON struct {
	ID        int     `json:"id"`
	Name      string  `json:"name"`
	File      string  `json:"file"`
	Hash      string  `json:"hash"`
	Version   string  `json:"version,omitempty"`
	Applied   bool    `json:"applied_by_tool"`
	UpTo      bool    `json:"up_to,omitempty"` // applied as at or below up_to, not by a row of its own
	AppliedAt *string `json:"applied_at,omitempty"`
	Action    string  `json:"action"`
}

type adoptIgnoredJSON struct {
	Version     string `json:"version,omitempty"`
	Description string `json:"description"`
	Reason      string `json:"reason"`
}

func writeAdoptJSON(w io.Writer, res *adopt.Result, from string, yes bool, err error, redact func(string) string) {
	r := &adoptJSON{Command: "adopt", OK: err == nil, From: from, DryRun: !yes, Files: []adoptFileJSON{}, Error: toJSONError(err, redact)}
	if res != nil {
		r.FromTable, r.Table, r.CreateTable, r.Written, r.Through = res.ToolTable, res.Table, ptr(res.CreateTable), res.Written, ptr(res.Through)
		r.UpTo = res.UpTo
		r.DurationMS = millis(res.Duration)
		r.Counts = map[string]int{}
		for _, f := range res.Files {
			j := adoptFileJSON{ID: f.ID, Name: f.Name, File: f.File, Hash: f.Hash, Version: f.Version, Applied: f.Applied, UpTo: f.UpTo, Action: string(f.Action)}
			if !f.AppliedAt.IsZero() {
				j.AppliedAt = ptr(f.AppliedAt.Format(time.RFC3339))
			}
			r.Files = append(r.Files, j)
			r.Counts[string(f.Action)]++
		}
		for _, e := range res.Ignored {
			r.Ignored = append(r.Ignored, adoptIgnoredJSON{Version: e.Version, Description: e.Description, Reason: e.Reason})
		}
	}
	var (
		unclean *adopt.UncleanError
		mapErr  *adopt.MapError
	)
	switch {
	case errors.As(err, &unclean):
		for _, p := range unclean.Problems {
			r.Error.Problems = append(r.Error.Problems, jsonProblem{Kind: string(p.Kind), File: p.File, Message: p.String()})
		}
	case errors.As(err, &mapErr):
		for _, p := range mapErr.Problems {
			msg := p.Problem
			if p.Line > 0 {
				msg = fmt.Sprintf("line %d: %s", p.Line, p.Problem)
			}
			r.Error.Problems = append(r.Error.Problems, jsonProblem{Kind: "map", File: mapErr.Name, Message: msg})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r)
}

// repairHint says how to make the other tool's state clean.
func repairHint(tool adopt.Tool) string {
	switch tool {
	case adopt.GolangMigrate:
		return "repair the database by hand where the dirty migration stopped, then mark it with golang-migrate " +
			"('migrate force VERSION'), and adopt again"
	case adopt.Flyway:
		return "repair with Flyway first ('flyway repair' removes the rows of failed migrations, once the database is fixed), then adopt again"
	case adopt.Goose:
		return "apply the rolled-back versions again with goose ('goose up'), or remove their files, then adopt again"
	}
	return fmt.Sprintf("fix the state with %s first, then adopt again", tool)
}

// isAdoptError reports whether err is one of adopt's own, which
// explainAdopt advises on.
func isAdoptError(err error) bool {
	var (
		unclean  *adopt.UncleanError
		notFound *adopt.TableNotFoundError
		layout   *adopt.LayoutError
	)
	return errors.As(err, &unclean) || errors.As(err, &notFound) || errors.As(err, &layout)
}

// explainAdopt adds advice to the errors of adopt (called by explain).
func explainAdopt(err error) error {
	var (
		unclean  *adopt.UncleanError
		notFound *adopt.TableNotFoundError
		layout   *adopt.LayoutError
	)
	switch {
	case errors.As(err, &unclean):
		var hints []string
		if unclean.Has(adopt.ProblemDirty) || unclean.Has(adopt.ProblemFailed) || unclean.Has(adopt.ProblemRolledBack) ||
			unclean.Has(adopt.ProblemUndone) || unclean.Has(adopt.ProblemMalformed) {
			hints = append(hints, repairHint(unclean.Tool))
		}
		if unclean.Has(adopt.ProblemNoFile) {
			hints = append(hints, "give each version its file with --map FILE when the numbering differs (see 'pgmig adopt --help'), "+
				"or add the missing migration files")
		}
		if unclean.Has(adopt.ProblemGap) {
			hints = append(hints, fmt.Sprintf("apply the missing migrations with %s first, or renumber the files so that the applied ones come first", unclean.Tool))
		}
		return withHint(err, strings.Join(hints, "\nhint: "))
	case errors.As(err, &notFound) && len(notFound.Elsewhere) > 0:
		return withHint(err, fmt.Sprintf("pass --from-table %s, or give pgmig the search path the other tool used", notFound.Elsewhere[0]))
	case errors.As(err, &notFound):
		return withHint(err, "name the table with --from-table schema.name, or give pgmig the search path the other tool used "+
			"(for example PGOPTIONS='-c search_path=app,public')")
	case errors.As(err, &layout):
		return withHint(err, "check --from, or name that tool's table with --from-table")
	}
	return err
}
