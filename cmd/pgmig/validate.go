package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/dirfs"
	"github.com/pgmig/pgmig/migrator/lint"
)

// validateCmd is 'pgmig validate'.
type validateCmd struct {
	Dir  string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	JSON bool   `name:"json" help:"Print the result as one JSON document on stdout."`
}

func (c *validateCmd) Help() string {
	return `Checks the files alone, with no database, in milliseconds: names, numbering,
UTF-8, headers, transaction control in transactional files, and statements
PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY,
VACUUM, ALTER SYSTEM, ...) in files without '-- pgmig disable-transaction'.
Statements that PostgreSQL's parser (version 17) rejects are warnings, with
the line and a caret: a newer server may accept them, so they never fail it.
Fit for a pre-commit hook. Exits 3 when a file is invalid.

Examples:
  pgmig validate ./migrations
  pgmig validate --json ./migrations`
}

func (c *validateCmd) Run(a *app) error {
	var res *migrator.ValidateResult
	err := checkFolder(c.Dir)
	if err == nil {
		res, err = migrator.Validate(dirfs.New(c.Dir))
	}
	var syntax []lint.Finding
	if err == nil {
		syntax, err = lint.Syntax(dirfs.New(c.Dir), res.Migrations)
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
			for _, f := range syntax {
				r.Warnings = append(r.Warnings, jsonProblem{Kind: "syntax", File: f.File, Message: fmt.Sprintf("line %d, column %d: %s", f.Line, f.Column, f.Message)})
			}
		}
		writeJSON(a.stdout, r, err, a.red.redact)
		return err
	}
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintf(a.stdout, "warning: %s: %s\n", w.File, w.Problem)
		}
		for _, f := range syntax {
			fmt.Fprintf(a.stdout, "warning: %s:%d:%d: %s\n    %s\n    %s^\n", f.File, f.Line, f.Column, f.Message, f.Source, caretPad(f.Source, f.Column))
		}
		fmt.Fprintf(a.stdout, "ok: %s valid\n", plural(len(res.Migrations), "migration file"))
	}
	return err
}
