package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// Versions of PostgreSQL whose behaviour lint knows.
const (
	OldestVersion = 12
	NewestVersion = 18
)

type options struct {
	version     int
	lockTimeout time.Duration
	pending     []int
	onePerRun   bool
}

// Option configures [Lint].
type Option func(*options) error

// WithPGVersion sets the major version of the server the migrations will
// run on, OldestVersion to NewestVersion (default NewestVersion): rules
// and fixes that differ between versions follow it.
func WithPGVersion(major int) Option {
	return func(o *options) error {
		if major < OldestVersion || major > NewestVersion {
			return fmt.Errorf("PostgreSQL %d is not supported: lint knows %d to %d", major, OldestVersion, NewestVersion)
		}
		o.version = major
		return nil
	}
}

// WithLockTimeout says the run sets lock_timeout to d for every migration
// (pgmig's own lock-timeout setting); 0 means it sets none.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return errors.New("the lock timeout must not be negative")
		}
		o.lockTimeout = d
		return nil
	}
}

// WithPending names the migrations that one run would apply, by id:
// only they are reported, and what one of them creates is new for the
// ones after it. The other migrations are read for the schema they build
// and never reported. Without it, every migration is reported, each as a
// run of its own: what earlier files created already exists.
func WithPending(ids ...int) Option {
	return func(o *options) error {
		o.pending = append([]int{}, ids...)
		o.onePerRun = false
		return nil
	}
}

// Result is what [Lint] found.
type Result struct {
	Findings   []Finding // in file order, then by position
	Files      int       // migration files reported on
	Statements int       // statements read in them
	Version    int       // the PostgreSQL major version the rules followed
}

// Count returns the number of findings of severity s.
func (r *Result) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Lint reads the migrations migs (in id order, as [migrator.Migrator.Migrations]
// or [migrator.Validate] return them) from fsys and reports the
// statements that would hurt a live database. It reads files only.
//
// Errors: *migrator.OptionError for a bad option; a file that cannot be
// read is returned as the error of fs.ReadFile.
func Lint(fsys fs.FS, migs []migrator.Migration, opts ...Option) (*Result, error) {
	o := options{version: NewestVersion, onePerRun: true}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, &migrator.OptionError{Err: err}
		}
	}
	res := &Result{Version: o.version}
	sch := &schema{}
	for _, m := range migs {
		src, err := fs.ReadFile(fsys, m.File)
		if err != nil {
			return nil, err
		}
		report := o.onePerRun || slices.Contains(o.pending, m.ID)
		f := newFileLinter(&o, sch, m, string(src))
		f.run()
		if report {
			res.Files++
			res.Statements += f.statements
			res.Findings = append(res.Findings, f.findings...)
		}
		if o.onePerRun || !report {
			sch.endRun()
		}
	}
	return res, nil
}
