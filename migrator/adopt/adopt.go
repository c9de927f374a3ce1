// Package adopt moves a database from another migration tool to pgmig
// without running any migration: it reads the other tool's history table
// (goose, golang-migrate, tern, dbmate, Flyway), matches each applied
// version with a migration file of the folder, by id or through a version
// [Map], and records those files as applied in pgmig's tracking table with
// [migrator.Migrator.MarkApplied]. Apply then runs only what the other
// tool had not.
//
// It refuses, writing nothing, when the other tool's state is not one to
// continue from: a dirty or failed migration, one rolled back or undone,
// a version applied that no file stands for, or a file not applied below
// an applied one (pgmig applies in strict order). The other tool's table
// is only read.
package adopt

import (
	"context"
	"database/sql"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// Options say where the other tool's history is and how its versions
// name the files.
type Options struct {
	// Table is the other tool's history table as [schema.]name; "" means
	// the tool's default name ([Tool.DefaultTable]), through the search
	// path.
	Table string
	// Map gives the file of each version when the numbering differs; nil
	// matches versions to file ids.
	Map *Map
}

// Result is a plan, or what Adopt did.
type Result struct {
	Tool      Tool
	ToolTable string // the other tool's table, schema-qualified
	Table     string // pgmig's tracking table
	// CreateTable: pgmig's tracking table did not exist and is created
	// with the rows (by Adopt) or would be (by Plan).
	CreateTable bool
	Through     int // highest file id the other tool applied; 0 when none
	// UpTo is the other tool's version up to which every version counts as
	// applied: golang-migrate's and tern's current version, Flyway's
	// baseline; "" when none.
	UpTo  string
	Files []File // every migration file, in id order
	// Ignored are rows of the other tool that no file stands for on
	// purpose (Flyway's repeatable migrations), with the reason.
	Ignored []Entry
	// Written: Adopt wrote rows (false for Plan, and when every row was
	// already there).
	Written  bool
	Duration time.Duration
}

// Count returns how many files get action a.
func (r *Result) Count(a Action) int {
	n := 0
	for _, f := range r.Files {
		if f.Action == a {
			n++
		}
	}
	return n
}

// Plan reads the other tool's history, matches it with m's files and
// reports what [Adopt] would write, changing nothing (it takes no lock).
// db is the database of m.
//
// Errors: *UncleanError (every problem at once), *MapError,
// *TableNotFoundError, *LayoutError, *migrator.IntegrityError (pgmig's
// tracking table has rows that disagree with the files), and those of
// [migrator.Migrator.PlanMarkApplied].
func Plan(ctx context.Context, db *sql.DB, m *migrator.Migrator, tool Tool, opts Options) (*Result, error) {
	start := time.Now()
	res, through, err := prepare(ctx, db, m, tool, opts)
	if err != nil {
		return nil, err
	}
	mr, err := m.PlanMarkApplied(ctx, through)
	if err != nil {
		return nil, err
	}
	res.fill(mr)
	res.Duration = time.Since(start)
	return res, nil
}

// Adopt is [Plan], then records the files the other tool applied in
// pgmig's tracking table, in one transaction under the migration lock
// ([migrator.Migrator.MarkApplied]). Run it while the other tool does not
// run: its table is read before the lock is taken, and it does not know
// pgmig's lock. Adopting again writes nothing.
//
// Errors: those of Plan, and of MarkApplied (lock timeout, read-only
// server, ...). Nothing is written when it returns an error.
func Adopt(ctx context.Context, db *sql.DB, m *migrator.Migrator, tool Tool, opts Options) (*Result, error) {
	start := time.Now()
	res, through, err := prepare(ctx, db, m, tool, opts)
	if err != nil {
		return nil, err
	}
	mr, err := m.MarkApplied(ctx, through)
	if err != nil {
		return nil, err
	}
	res.fill(mr)
	res.Written = len(mr.Recorded) > 0
	res.Duration = time.Since(start)
	return res, nil
}

// prepare reads and matches the history.
func prepare(ctx context.Context, db *sql.DB, m *migrator.Migrator, tool Tool, opts Options) (*Result, int, error) {
	h, err := Read(ctx, db, tool, opts.Table)
	if err != nil {
		return nil, 0, err
	}
	files, through, err := match(h, m.Migrations(), opts.Map)
	if err != nil {
		return nil, 0, err
	}
	return &Result{Tool: tool, ToolTable: h.Table, Through: through, UpTo: h.Through, Files: files, Ignored: h.Ignored}, through, nil
}

// fill sets each file's action from what MarkApplied did or would do.
func (r *Result) fill(mr *migrator.MarkResult) {
	r.Table, r.CreateTable = mr.Table, mr.CreateTable
	already := map[int]bool{}
	for _, mig := range mr.AlreadyRecorded {
		already[mig.ID] = true
	}
	for i := range r.Files {
		f := &r.Files[i]
		switch {
		case already[f.ID]:
			f.Action = ActionAlreadyRecorded
		case f.ID <= r.Through:
			f.Action = ActionRecord
		default:
			f.Action = ActionPending
		}
	}
}
