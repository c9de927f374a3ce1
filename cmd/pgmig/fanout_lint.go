package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/lint"
	pgsql "github.com/pgmig/pgmig/sql"
)

// The fan-out form of lint, and of apply --lint: each target's pending
// migrations linted with the rules of its server's version.

// fleetLint is what lint found on one target.
type fleetLint struct {
	res *lint.Result
	dir string // the migrations folder, for the paths of the findings
}

func (c *lintCmd) runFleet(ctx context.Context, a *app) error {
	switch {
	case c.Measure:
		return &usageError{msg: "--measure builds a dev database for one target: it does not go with --targets, --each-database or --each-schema"}
	case c.Format == "github" || c.Format == "sarif":
		return &usageError{msg: "--format " + c.Format + " reports on files, not on targets: over many targets use --format text or json"}
	case c.Offline:
		return &usageError{msg: "--offline lints without connecting: it does not go with --targets, --each-database or --each-schema"}
	}
	folder := &folderFlags{Dir: c.Dir, Table: c.Table, JSON: c.Format == "json"}
	cache := newLintCache(c.Dir, c.LockTimeout)
	return c.fanoutFlags.runFleetOn(ctx, a, "lint", folder, nil, func(ctx context.Context, t *fleetTarget) (fleetRow, error) {
		m, db, err := t.open()
		if err != nil {
			return fleetRow{}, err
		}
		defer db.Close()
		plan, err := m.Plan(ctx, 0)
		if err != nil {
			return fleetRow{}, err
		}
		res, err := cache.lintTarget(ctx, db, t.files, plan.Pending, c.PGVersion)
		if err != nil {
			return fleetRow{}, err
		}
		return fleetRow{pending: len(plan.Pending), lint: &fleetLint{res: res, dir: c.Dir}}, lintVerdict(res, c.Strict)
	})
}

// applyLinted is the operation of apply --lint over many targets: lint
// the migrations apply would run on the target, and apply them only when
// none has a finding of error severity.
func (c *applyCmd) applyLinted(cache *lintCache) targetOp {
	return func(ctx context.Context, t *fleetTarget) (fleetRow, error) {
		m, db, err := t.open()
		if err != nil {
			return fleetRow{}, err
		}
		defer db.Close()
		plan, err := m.Plan(ctx, c.To)
		if err != nil {
			return fleetRow{}, err
		}
		res, err := cache.lintTarget(ctx, db, t.files, plan.Pending, 0)
		if err != nil {
			return fleetRow{}, err
		}
		if n := res.Count(lint.SeverityError); n > 0 {
			row := fleetRow{alreadyApplied: plan.AlreadyApplied, lint: &fleetLint{res: res, dir: c.Dir}}
			return row, fmt.Errorf("%w in the migrations to apply; nothing was applied", &lintError{errors: n, warnings: res.Count(lint.SeverityWarning)})
		}
		ar, err := m.ApplyTo(ctx, c.To)
		return fleetRow{applied: len(ar.Applied), alreadyApplied: ar.AlreadyApplied, pending: ar.Remaining}, err
	}
}

// lintCache lints for many targets: the files are read once, and lint
// runs once for each version and set of pending migrations that targets
// share.
type lintCache struct {
	dir         string
	lockTimeout time.Duration

	read  sync.Once
	fsys  fs.FS
	rerr  error
	mu    sync.Mutex
	byKey map[string]*lintOnce
}

type lintOnce struct {
	once sync.Once
	res  *lint.Result
	err  error
}

func newLintCache(dir string, lockTimeout time.Duration) *lintCache {
	return &lintCache{dir: dir, lockTimeout: lockTimeout, byKey: map[string]*lintOnce{}}
}

// lintTarget lints pending, the migrations one run would apply on the
// target of db, with the rules of PostgreSQL version (0: the target's
// server's), and reads from db the sizes of the relations of the
// findings.
func (c *lintCache) lintTarget(ctx context.Context, db *sql.DB, files *migrator.Files, pending []migrator.Migration, version int) (*lint.Result, error) {
	if version == 0 {
		var num int
		if err := db.QueryRowContext(ctx, pgsql.ServerVersionNum).Scan(&num); err != nil {
			return nil, err
		}
		version = min(max(num/10000, lint.OldestVersion), lint.NewestVersion)
	}
	ids := make([]int, 0, len(pending))
	for _, m := range pending {
		ids = append(ids, m.ID)
	}
	shared, err := c.lint(files.Migrations(), version, ids)
	if err != nil {
		return nil, err
	}
	res := *shared
	res.Findings = slices.Clone(shared.Findings) // Sizes writes the target's sizes into them
	return &res, lint.Sizes(ctx, db, &res)
}

// lint lints the migrations ids of migs, once for each version and ids.
func (c *lintCache) lint(migs []migrator.Migration, version int, ids []int) (*lint.Result, error) {
	c.read.Do(func() { c.fsys, c.rerr = readMigrationFiles(c.dir, migs) })
	if c.rerr != nil {
		return nil, c.rerr
	}
	key := fmt.Sprint(version, ids)
	c.mu.Lock()
	l := c.byKey[key]
	if l == nil {
		l = &lintOnce{}
		c.byKey[key] = l
	}
	c.mu.Unlock()
	l.once.Do(func() {
		l.res, l.err = lint.Lint(c.fsys, migs, lint.WithPGVersion(version), lint.WithLockTimeout(c.lockTimeout), lint.WithPending(ids...))
	})
	return l.res, l.err
}

// readMigrationFiles reads the migration files into memory, so that
// every target is linted against the same contents.
func readMigrationFiles(dir string, migs []migrator.Migration) (fs.FS, error) {
	mem := fstest.MapFS{}
	for _, m := range migs {
		b, err := os.ReadFile(filepath.Join(dir, m.File))
		if err != nil {
			return nil, err
		}
		mem[m.File] = &fstest.MapFile{Data: b}
	}
	return mem, nil
}

// lintColumns are the columns of lint's summary.
func lintColumns() ([]string, func(fleetRow) []string) {
	return []string{"PG", "LINTED", "ERRORS", "WARNINGS", "NOTES"}, func(r fleetRow) []string {
		if r.lint == nil {
			return make([]string, 5)
		}
		res := r.lint.res
		return []string{fmt.Sprint(res.Version), fmt.Sprint(res.Files), fmt.Sprint(res.Count(lint.SeverityError)),
			fmt.Sprint(res.Count(lint.SeverityWarning)), fmt.Sprint(res.Count(lint.SeverityInfo))}
	}
}

// printFleetFindings prints, before the summary, the findings of each
// target under its name; errorsOnly keeps those of error severity (apply
// --lint).
func printFleetFindings(w io.Writer, results []fleet.Result[fleetRow], errorsOnly bool, redact func(string) string) {
	for _, r := range results {
		l := r.Value.lint
		if l == nil || len(l.res.Findings) == 0 {
			continue
		}
		out := &lintOutput{dir: l.dir}
		fmt.Fprintf(w, "%s: %s\n", redact(r.Target.Name), lintSummary(l.res))
		for _, f := range l.res.Findings {
			if errorsOnly && f.Severity != lint.SeverityError {
				continue
			}
			printFinding(w, out.path(f.File), f, "  ")
		}
		fmt.Fprintln(w)
	}
}

// jsonFleetLint is what a target's entry of lint --json adds: the
// findings, as single-target lint --json writes them.
type jsonFleetLint struct {
	PGVersion int            `json:"pg_version,omitempty"`
	Files     *int           `json:"files,omitempty"`
	Counts    map[string]int `json:"counts,omitempty"`
	Findings  *[]jsonFinding `json:"findings,omitempty"`
}

func fleetLintJSON(l *fleetLint) jsonFleetLint {
	if l == nil {
		return jsonFleetLint{}
	}
	j := jsonFleetLint{PGVersion: l.res.Version, Files: ptr(l.res.Files), Counts: map[string]int{}, Findings: &[]jsonFinding{}}
	for _, s := range []lint.Severity{lint.SeverityError, lint.SeverityWarning, lint.SeverityInfo} {
		j.Counts[string(s)] = l.res.Count(s)
	}
	out := &lintOutput{dir: l.dir}
	for _, f := range l.res.Findings {
		*j.Findings = append(*j.Findings, fromFinding(out.path(f.File), f))
	}
	return j
}
