package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pgmig/pgmig/migrator/drift"
)

// schemaCmd is 'pgmig schema'.
type schemaCmd struct {
	Dir   string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	Table string `help:"Tracking table as [schema.]name, left out of the schema (default: migrations)." placeholder:"TABLE"`
	JSON  bool   `name:"json" help:"With --check, print the result as one JSON document on stdout."`
	devFlags
	inspectFlags
	Output string `short:"o" help:"Write the schema to this file instead of stdout (replaced only when it changes)." placeholder:"FILE"`
	Check  string `help:"Do not write: fail (exit 16) unless this file is what the migrations build now." placeholder:"FILE"`
}

func (c *schemaCmd) Help() string {
	return `Builds every migration of the folder in a scratch dev database (--dev-url,
else a throwaway local cluster) and prints the schema they build as a
deterministic, readable SQL text: one object after another, sorted by kind
and name, no OIDs, no timestamps. Commit it beside the migrations as
schema.sql, so that code review shows what each new migration changes;
--check in CI fails when the committed file is out of date. 'pgmig drift
--against schema.sql' compares a database with it. The text describes the
schema for people and for pgmig; it is not a script to recreate it.

Examples:
  pgmig schema --output schema.sql ./migrations
  pgmig schema --check schema.sql ./migrations
  pgmig schema --dev-setup roles.sql --privileges ./migrations > schema.sql`
}

// schemaReport is the document of schema --check --json.
type schemaReport struct {
	Command     string             `json:"command"`
	OK          bool               `json:"ok"`
	File        string             `json:"file"`
	UpToDate    bool               `json:"up_to_date"`
	Dev         *jsonDev           `json:"dev,omitempty"`
	Differences []drift.Difference `json:"differences"`
	Error       *jsonError         `json:"error,omitempty"`
}

func (c *schemaCmd) Run(ctx context.Context, a *app) error {
	if c.Check != "" && c.Output != "" {
		return &usageError{msg: "--check and --output exclude each other: --check only reads the file"}
	}
	text, dev, err := c.build(ctx, a)
	if c.Check == "" {
		if err != nil {
			return err
		}
		return c.write(a, text)
	}
	rep := &schemaReport{Command: "schema", File: c.Check, Dev: dev, Differences: []drift.Difference{}}
	if err == nil {
		err = c.check(text, rep)
	}
	if c.JSON {
		rep.OK = err == nil
		rep.Error = toJSONError(err, a.red.redact)
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
		return err
	}
	if rep.UpToDate {
		fmt.Fprintf(a.stdout, "ok: %s is what the migrations build (on %s)\n", c.Check, devLabel(dev))
	} else if err != nil && len(rep.Differences) > 0 {
		printDifferences(a.stdout, rep.Differences, "migrations build", c.Check+" has")
	}
	return err
}

// build builds the folder in a dev database and returns the schema text.
func (c *schemaCmd) build(ctx context.Context, a *app) ([]byte, *jsonDev, error) {
	if err := checkFolder(c.Dir); err != nil {
		return nil, nil, err
	}
	dev, err := c.openDev(ctx, a, nil)
	if err != nil {
		return nil, nil, err
	}
	defer dev.Close()
	info := &jsonDev{Version: dev.Server().Version, Throwaway: dev.Server().Throwaway}
	f := folderFlags{Dir: c.Dir, Table: c.Table}
	if _, err := dev.Build(ctx, os.DirFS(c.Dir), 0, f.migratorOptions()...); err != nil {
		return nil, info, explainDev(nil, err)
	}
	s, err := drift.Inspect(ctx, dev.DB(), c.options(c.Table))
	if err != nil {
		return nil, info, fmt.Errorf("inspect the dev database: %w", err)
	}
	var b bytes.Buffer
	if err := s.WriteSQL(&b); err != nil {
		return nil, info, err
	}
	return b.Bytes(), info, nil
}

// write writes the text to stdout or --output, replacing the file only
// when its content changes.
func (c *schemaCmd) write(a *app, text []byte) error {
	if c.Output == "" {
		_, err := a.stdout.Write(text)
		return err
	}
	if old, err := os.ReadFile(c.Output); err == nil && bytes.Equal(old, text) {
		a.log.Info().Str("file", c.Output).Msg("schema file unchanged")
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.Output), ".pgmig-schema-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", c.Output, unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", c.Output, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", c.Output, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", c.Output, err)
	}
	if err := os.Rename(tmp.Name(), c.Output); err != nil {
		return fmt.Errorf("write %s: %w", c.Output, unwrapPath(err))
	}
	a.log.Info().Str("file", c.Output).Msg("schema file written")
	return nil
}

// check compares the built text with the --check file.
func (c *schemaCmd) check(text []byte, rep *schemaReport) error {
	old, err := os.ReadFile(c.Check)
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(&usageError{msg: "schema file " + c.Check + " does not exist"},
			fmt.Sprintf("write it with 'pgmig schema --output %s %s'", c.Check, c.Dir))
	}
	if err != nil {
		return &usageError{msg: "read schema file: " + unwrapPath(err).Error()}
	}
	if bytes.Equal(old, text) {
		rep.UpToDate = true
		return nil
	}
	built, err := drift.ParseSQL(text)
	if err != nil {
		return err
	}
	hint := fmt.Sprintf("regenerate it with 'pgmig schema --output %s %s' and commit it with the migrations", c.Check, c.Dir)
	committed, err := drift.ParseSQL(old)
	if err != nil {
		return withHint(fmt.Errorf("%s is out of date and unreadable: %w", c.Check, err), hint)
	}
	rep.Differences = drift.Compare(built, committed)
	return withHint(&staleSchemaError{file: c.Check, diffs: rep.Differences}, hint)
}

// staleSchemaError is a schema file that is not what the migrations build.
type staleSchemaError struct {
	file  string
	diffs []drift.Difference
}

func (e *staleSchemaError) Error() string {
	if len(e.diffs) == 0 {
		// Same objects, other text: a header or spacing edited by hand.
		return e.file + " is out of date: its text is not what pgmig writes for the same objects"
	}
	if len(e.diffs) == 1 {
		return e.file + " is out of date: 1 object differs from what the migrations build"
	}
	return fmt.Sprintf("%s is out of date: %d objects differ from what the migrations build", e.file, len(e.diffs))
}
