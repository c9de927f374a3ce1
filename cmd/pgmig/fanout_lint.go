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
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/lint"
	pgsql "github.com/pgmig/pgmig/sql"
)

// The fan-out form of lint, and of apply --lint: each target's pending
// migrations linted with the rules of its server's version, and with
// --measure run in a dev database built once for each group of targets
// with the same applied and pending migrations (and server version and
// search path).

// fleetLint is what lint found on one target.
type fleetLint struct {
	res        *lint.Result
	dir        string // the migrations folder, for the paths of the findings
	measuredOn string // the version of the dev server of --measure, "" without
}

func (c *lintCmd) runFleet(ctx context.Context, a *app) error {
	switch {
	case c.Format == "github" || c.Format == "sarif":
		return &usageError{msg: "--format " + c.Format + " reports on files, not on targets: over many targets use --format text or json"}
	case c.Offline:
		return &usageError{msg: "--offline lints without connecting: it does not go with --targets, --each-database or --each-schema"}
	}
	folder := &folderFlags{Dir: c.Dir, Table: c.Table, JSON: c.Format == "json"}
	cache := newLintCache(c.Dir, c.LockTimeout)
	var builds *devBuilds[*lint.Result]
	if c.Measure {
		builds = newDevBuilds[*lint.Result](&c.devFlags, a, folder, false)
	}
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
		res, err := cache.shared(ctx, db, t.files, plan.Pending, c.PGVersion)
		if err != nil {
			return fleetRow{}, err
		}
		l := &fleetLint{dir: c.Dir}
		if builds != nil && len(plan.Pending) > 0 {
			built, err := cache.measure(ctx, builds, db, t.files, plan, res)
			if err != nil {
				return fleetRow{pending: len(plan.Pending)}, err
			}
			res, l.measuredOn = built.value, built.dev.Version
		}
		if l.res, err = withSizes(ctx, db, res); err != nil {
			return fleetRow{}, err
		}
		return fleetRow{pending: len(plan.Pending), lint: l}, lintVerdict(l.res, c.Strict)
	})
}

// measure measures shared, the lint of plan's pending migrations on the
// target of db, in the dev database of the target's group: built up to the
// last migration the target has applied (to the one before the first
// pending when one is pending out of order, as lint --measure on one
// target), then the pending ones run there. The build's value is a
// measured copy of shared.
func (c *lintCache) measure(ctx context.Context, builds *devBuilds[*lint.Result], db *sql.DB, files *migrator.Files, plan *migrator.PlanResult, shared *lint.Result) (*devBuild[*lint.Result], error) {
	upTo := min(plan.LastApplied, plan.Pending[0].ID-1)
	ids := pendingIDs(plan.Pending)
	return builds.get(ctx, db, upTo, fmt.Sprint(shared.Version, ids), func(ctx context.Context, dev *devdb.Database) (*lint.Result, error) {
		res := *shared
		res.Findings = slices.Clone(shared.Findings) // Measure writes the measured facts into them
		_, err := lint.Measure(ctx, dev.DB(), c.fsys, files.Migrations(), &res, c.options(res.Version, ids)...)
		return &res, err
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
		shared, err := cache.shared(ctx, db, t.files, plan.Pending, 0)
		if err != nil {
			return fleetRow{}, err
		}
		res, err := withSizes(ctx, db, shared)
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

// shared lints pending, the migrations one run would apply on the target
// of db, with the rules of PostgreSQL version (0: the target's server's).
// The result is shared by the targets of the same version and pending
// migrations: withSizes copies it for one target.
func (c *lintCache) shared(ctx context.Context, db *sql.DB, files *migrator.Files, pending []migrator.Migration, version int) (*lint.Result, error) {
	if version == 0 {
		var num int
		if err := db.QueryRowContext(ctx, pgsql.ServerVersionNum).Scan(&num); err != nil {
			return nil, err
		}
		version = min(max(num/10000, lint.OldestVersion), lint.NewestVersion)
	}
	return c.lint(files.Migrations(), version, pendingIDs(pending))
}

// withSizes returns a copy of shared with the sizes, read from db, of the
// relations of its findings.
func withSizes(ctx context.Context, db *sql.DB, shared *lint.Result) (*lint.Result, error) {
	res := *shared
	res.Findings = slices.Clone(shared.Findings) // Sizes writes the target's sizes into them
	return &res, lint.Sizes(ctx, db, &res)
}

// pendingIDs are the ids of pending.
func pendingIDs(pending []migrator.Migration) []int {
	ids := make([]int, 0, len(pending))
	for _, m := range pending {
		ids = append(ids, m.ID)
	}
	return ids
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
		l.res, l.err = lint.Lint(c.fsys, migs, c.options(version, ids)...)
	})
	return l.res, l.err
}

// options are the options of lint, and of its measure, for version and
// the pending migrations ids.
func (c *lintCache) options(version int, ids []int) []lint.Option {
	return []lint.Option{lint.WithPGVersion(version), lint.WithLockTimeout(c.lockTimeout), lint.WithPending(ids...)}
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
		res, pg := r.lint.res, fmt.Sprint(r.lint.res.Version)
		if r.lint.measuredOn != "" {
			pg += " (measured on " + r.lint.measuredOn + ")"
		}
		return []string{pg, fmt.Sprint(res.Files), fmt.Sprint(res.Count(lint.SeverityError)),
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
		measured := ""
		if l.measuredOn != "" {
			measured = "; locks, rewrites and scans measured on PostgreSQL " + l.measuredOn
		}
		fmt.Fprintf(w, "%s: %s%s\n", redact(r.Target.Name), lintSummary(l.res), measured)
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
	PGVersion  int            `json:"pg_version,omitempty"`
	MeasuredOn string         `json:"measured_on,omitempty"` // the version of the dev server of --measure
	Files      *int           `json:"files,omitempty"`
	Counts     map[string]int `json:"counts,omitempty"`
	Findings   *[]jsonFinding `json:"findings,omitempty"`
}

func fleetLintJSON(l *fleetLint) jsonFleetLint {
	if l == nil {
		return jsonFleetLint{}
	}
	j := jsonFleetLint{PGVersion: l.res.Version, MeasuredOn: l.measuredOn, Files: ptr(l.res.Files), Counts: map[string]int{}, Findings: &[]jsonFinding{}}
	for _, s := range []lint.Severity{lint.SeverityError, lint.SeverityWarning, lint.SeverityInfo} {
		j.Counts[string(s)] = l.res.Count(s)
	}
	out := &lintOutput{dir: l.dir}
	for _, f := range l.res.Findings {
		*j.Findings = append(*j.Findings, fromFinding(out.path(f.File), f))
	}
	return j
}
