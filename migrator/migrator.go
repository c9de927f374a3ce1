// Package migrator applies numbered SQL migration files to a PostgreSQL
// database, roll-forward only, with the tracking table, hashes and lock of
// postgres-migrations 5.x.
//
// A [Migrator] is built from a *sql.DB and an fs.FS holding the migration
// files; [New] reads and checks every file and does no database I/O. Methods
// take a context first and return results as values.
package migrator

import (
	"database/sql"
	"errors"
	"io/fs"
)

// LockKey is the session advisory lock key that pgmig shares with
// postgres-migrations.
const LockKey int64 = -8525285245963000605

// DefaultTable is the default name of the tracking table.
const DefaultTable = "migrations"

// Migrator applies the migrations of one folder to one database.
type Migrator struct {
	db         *sql.DB
	fsys       fs.FS
	migrations []Migration
	checks     *fileChecks // fill in problems, warnings and blanks of migrations
	opts       options
}

// New reads and checks every migration file in fsys (top level only) and
// returns a Migrator for db. It does no database I/O. It returns a *FileError
// listing every problem when any file is invalid: names, numbering,
// encoding. Rules about how a file runs (transaction control, headers, psql
// meta-commands) are checked later, against the database: they concern
// only the files still to run (see [Validate] to check them without one).
//
// pgmig is tested with lib/pq (driver "postgres"). With another driver,
// whatever reports SQLSTATE through a SQLState() method (pgx does) gets the
// same typed errors, timeouts and lost connections; the position, DETAIL,
// HINT and CONTEXT of a *MigrationError need lib/pq's *pq.Error.
func New(db *sql.DB, fsys fs.FS, opts ...Option) (*Migrator, error) {
	if db == nil {
		return nil, errors.New("migrator: nil *sql.DB")
	}
	if fsys == nil {
		return nil, errors.New("migrator: nil fs.FS")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, &OptionError{Err: err}
		}
	}
	migs, checks, err := loadMigrations(fsys, false)
	if err != nil {
		return nil, err
	}
	return &Migrator{db: db, fsys: fsys, migrations: migs, checks: checks, opts: o}, nil
}

// Migrations returns the migrations read from the folder, in id order.
func (m *Migrator) Migrations() []Migration {
	m.checks.wait()
	return append([]Migration(nil), m.migrations...)
}

// Len returns how many migrations the folder holds: len(Migrations())
// without the copy.
func (m *Migrator) Len() int { return len(m.migrations) }

// ValidateResult is what [Validate] found in a folder of migration files.
type ValidateResult struct {
	Migrations []Migration   // in id order
	Warnings   []FileProblem // advice that does not stop a run
}

// Validate checks the migration files of fsys alone, with no database:
// names, numbering, UTF-8, headers, psql meta-commands, and statements that
// cannot run where the file puts them (transaction control, or CREATE INDEX
// CONCURRENTLY and the like in a transactional file). It holds every file
// to the rules of a file still to run, since it cannot know which ones a
// database has applied. It returns a *FileError listing every problem;
// warnings come with the result.
func Validate(fsys fs.FS) (*ValidateResult, error) {
	migs, _, err := loadMigrations(fsys, true)
	if err != nil {
		return nil, err
	}
	res := &ValidateResult{Migrations: migs}
	for _, m := range migs {
		for _, w := range m.warnings {
			res.Warnings = append(res.Warnings, FileProblem{File: m.File, Problem: w})
		}
	}
	return res, nil
}
