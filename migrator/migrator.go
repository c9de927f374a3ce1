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
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/rs/zerolog"
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
	opts       options
}

// New reads and checks every migration file in fsys (top level only) and
// returns a Migrator for db. It does no database I/O. It returns a *FileError
// listing every problem when any file is invalid: names, numbering,
// encoding. Rules about how a file runs (transaction control, headers, psql
// meta-commands) are checked later, against the database: they concern
// only the files still to run (see [Validate] to check them without one).
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
	migs, err := loadMigrations(fsys, false)
	if err != nil {
		return nil, err
	}
	return &Migrator{db: db, fsys: fsys, migrations: migs, opts: o}, nil
}

// Migrations returns the migrations read from the folder, in id order.
func (m *Migrator) Migrations() []Migration {
	return append([]Migration(nil), m.migrations...)
}

type options struct {
	schema, table string
	explicitTable bool // WithTable was given: create that table when it is missing
	log           zerolog.Logger
	lockWait      time.Duration // 0: wait until cancelled
	lockPoll      time.Duration // longest pause between two lock attempts
	lockReport    time.Duration // interval between "still waiting" log events
	syncEach      bool          // flush the WAL at every migration's commit
}

func defaultOptions() options {
	return options{
		table:      DefaultTable,
		log:        zerolog.Nop(),
		lockPoll:   time.Second,
		lockReport: 10 * time.Second,
	}
}

// Option configures a Migrator.
type Option func(*options) error

// WithTable sets the tracking table as "name" (resolved through the
// search_path) or "schema.name". Quote parts with double quotes to keep
// capitals or dots: `"My Schema"."Migrations"`.
//
// Without it the table is "migrations" through the search_path, and Apply
// refuses to create it when a table of that layout exists in another schema
// (a *TableElsewhereError): that means a wrong search path, not a new
// database. With it, Apply creates the named table when it is missing and
// only logs the tables found elsewhere.
func WithTable(qualified string) Option {
	return func(o *options) error {
		schema, table, err := splitQualifiedName(qualified)
		if err != nil {
			return fmt.Errorf("invalid table name %q: %w", qualified, err)
		}
		o.schema, o.table, o.explicitTable = schema, table, true
		return nil
	}
}

// WithLogger makes the Migrator log progress to l. By default it logs nothing.
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithLockWait bounds the time Apply waits for the migration lock; when it
// runs out Apply returns an error matching [ErrLockTimeout]. Zero (the
// default) waits until the context is cancelled.
func WithLockWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("lock wait must not be negative, got %s", d)
		}
		o.lockWait = d
		return nil
	}
}

// WithSyncCommitEach makes every migration's commit wait for the WAL flush.
// By default only the last commit of a run waits, which flushes the earlier
// ones too: everything is durable when Apply returns, and a crash during the
// run leaves a consistent prefix of migrations, but the run does not pay one
// flush per migration.
func WithSyncCommitEach(on bool) Option {
	return func(o *options) error { o.syncEach = on; return nil }
}

// WithLockPollInterval sets the longest pause between two attempts to take
// the migration lock (default 1s; attempts start faster and slow down to it).
func WithLockPollInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("lock poll interval must be positive, got %s", d)
		}
		o.lockPoll = d
		return nil
	}
}

// tableRef returns the tracking table as a regclass literal for to_regclass.
func (o options) regclassLiteral() string {
	name := pq.QuoteIdentifier(o.table)
	if o.schema != "" {
		name = pq.QuoteIdentifier(o.schema) + "." + name
	}
	return pq.QuoteLiteral(name)
}

// displayTable is the tracking table's name as the user gave it.
func (o options) displayTable() string {
	if o.schema != "" {
		return o.schema + "." + o.table
	}
	return o.table
}

// splitQualifiedName splits "schema.table" where either part may be
// double-quoted; unquoted parts are folded to lower case as PostgreSQL does.
func splitQualifiedName(s string) (schema, table string, err error) {
	var parts []string
	rest := strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			var b strings.Builder
			for {
				i := strings.IndexByte(rest[end:], '"')
				if i < 0 {
					return "", "", errors.New("unterminated quoted identifier")
				}
				b.WriteString(rest[end : end+i])
				end += i + 1
				if end < len(rest) && rest[end] == '"' {
					b.WriteByte('"')
					end++
					continue
				}
				break
			}
			part, rest = b.String(), rest[end:]
		} else {
			i := strings.IndexByte(rest, '.')
			if i < 0 {
				i = len(rest)
			}
			part, rest = strings.ToLower(strings.TrimSpace(rest[:i])), rest[i:]
			if strings.ContainsAny(part, `" `) {
				return "", "", errors.New(`unquoted names cannot contain spaces or '"'; quote them with double quotes`)
			}
		}
		if part == "" {
			return "", "", errors.New("empty name")
		}
		parts = append(parts, part)
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return "", "", errors.New("expected '.' between schema and table")
		}
		rest = rest[1:]
	}
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	default:
		return "", "", errors.New("expected [schema.]table")
	}
}

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
	migs, err := loadMigrations(fsys, true)
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
