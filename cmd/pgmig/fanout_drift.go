package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/drift"
	"github.com/pgmig/pgmig/migrator/fleet"
	pgsql "github.com/pgmig/pgmig/sql"
)

// The fan-out form of drift: every target compared with one schema file
// (--against), read once, or with what its applied migrations build in a
// dev database, built once for each number of applied migrations (and
// server version and search path) that targets share.

// driftRow is what drift found on one target.
type driftRow struct {
	objects     int
	differences []drift.Difference       // information included
	built       *devBuild[*drift.Schema] // the dev database it was compared with; nil with --against
}

func (c *driftCmd) runFleet(ctx context.Context, a *app) error {
	if c.EachSchema != "" {
		return &usageError{msg: "drift compares whole databases, and a tenant schema's objects live in a schema of their own: " +
			"drift does not go with --each-schema; use --targets or --each-database"}
	}
	var against *drift.Schema
	if c.Against != "" {
		var err error
		if against, err = readSchemaFile(c.Against); err != nil {
			return err
		}
	}
	builds := newDevBuilds[*drift.Schema](&c.devFlags, a, &c.folderFlags, c.All)
	inspect := func(ctx context.Context, dev *devdb.Database) (*drift.Schema, error) {
		s, err := drift.Inspect(ctx, dev.DB(), c.options(c.Table))
		if err != nil {
			return nil, fmt.Errorf("inspect the dev database: %w", err)
		}
		return s, nil
	}
	return c.fanoutFlags.runFleetOn(ctx, a, "drift", &c.folderFlags, nil, func(ctx context.Context, t *fleetTarget) (fleetRow, error) {
		m, db, err := t.open()
		if err != nil {
			return fleetRow{}, err
		}
		defer db.Close()
		var (
			row      fleetRow
			expected = against
			built    *devBuild[*drift.Schema]
		)
		if against != nil {
			// As drift --against on one database: the file describes every
			// migration of the folder, so the tracking rows are checked first.
			st, err := m.Verify(ctx, migrator.VerifyOptions{AllowPending: c.AllowPending})
			if err != nil {
				return fleetRow{}, err
			}
			for _, w := range st.Warnings {
				a.log.Warn().Str("target", t.Name).Str("file", w.File).Msg(w.Problem)
			}
			row = statusRow(st)
			if row.pending > 0 {
				row.note = plural(row.pending, "migration") + " pending"
			}
		} else {
			st, err := m.Status(ctx)
			if st == nil {
				return fleetRow{}, err
			}
			if err != nil {
				a.log.Warn().Str("target", t.Name).Err(err).Msg("the dev database is built from the files as they are now")
			}
			row = statusRow(st)
			if built, err = builds.get(ctx, db, appliedUpTo(st, c.All), "", inspect); err != nil {
				return row, err
			}
			expected = built.value
		}
		actual, err := drift.Inspect(ctx, db, c.options(c.Table))
		if err != nil {
			return row, err
		}
		row.drift = &driftRow{objects: actual.Len(), differences: drift.Compare(expected, actual), built: built}
		if drift.Drifted(row.drift.differences) {
			return row, &drift.Error{Differences: row.drift.differences, Source: c.Against}
		}
		return row, nil
	})
}

// appliedUpTo is the last migration the dev database builds for a target
// of status st: the last one applied there, 0 with all (every file).
func appliedUpTo(st *migrator.StatusResult, all bool) int {
	upTo := 0
	for _, s := range st.Migrations {
		if !all && s.State != migrator.StatePending && s.State != migrator.StateMissing && s.ID > upTo {
			upTo = s.ID
		}
	}
	return upTo
}

// devBuild is what was read from the dev database of the targets that
// share a server major version, search path and number of applied
// migrations (and key, see devBuilds.get).
type devBuild[T any] struct {
	once    sync.Once
	value   T
	builtTo int
	dev     *jsonDev
	err     error
}

// devBuilds builds a dev database once for each group of targets, reads
// from it what an operation needs, and drops it: the expected schema of
// drift, the measured findings of lint --measure.
type devBuilds[T any] struct {
	flags *devFlags
	a     *app
	dir   string
	opts  []migrator.Option // of the migrator that builds the dev database
	all   bool              // upTo 0 builds every migration (drift --all), not none
	mu    sync.Mutex
	byKey map[string]*devBuild[T]
}

func newDevBuilds[T any](flags *devFlags, a *app, folder *folderFlags, all bool) *devBuilds[T] {
	return &devBuilds[T]{flags: flags, a: a, dir: folder.Dir, opts: folder.migratorOptions(), all: all, byKey: map[string]*devBuild[T]{}}
}

// get returns what read read from the dev database of the target of db,
// whose migrations up to upTo are applied (0: none, or all with all);
// targets that share key too share it, and only the first one's read
// runs.
func (b *devBuilds[T]) get(ctx context.Context, db *sql.DB, upTo int, key string, read func(context.Context, *devdb.Database) (T, error)) (*devBuild[T], error) {
	// The dev database follows the target's search path, and a throwaway
	// cluster the target's major version.
	var num int
	var searchPath string
	if err := db.QueryRowContext(ctx, pgsql.ServerVersionNum).Scan(&num); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, pgsql.DevTargetSearchPath).Scan(&searchPath); err != nil {
		return nil, err
	}
	key = fmt.Sprint(upTo, num/10000, searchPath, key)
	b.mu.Lock()
	d := b.byKey[key]
	if d == nil {
		d = &devBuild[T]{}
		b.byKey[key] = d
	}
	b.mu.Unlock()
	d.once.Do(func() { d.err = b.build(ctx, db, upTo, d, read) })
	if d.err != nil {
		return nil, explainedError{d.err}
	}
	return d, nil
}

// build builds the migrations up to upTo in a dev database for the target
// of db and reads d's value from it.
func (b *devBuilds[T]) build(ctx context.Context, db *sql.DB, upTo int, d *devBuild[T], read func(context.Context, *devdb.Database) (T, error)) error {
	dev, err := b.flags.openDev(ctx, b.a, db)
	if err != nil {
		return err
	}
	defer dev.Close()
	d.dev = &jsonDev{Version: dev.Server().Version, Throwaway: dev.Server().Throwaway}
	d.builtTo = upTo
	if b.all || upTo > 0 {
		res, err := dev.Build(ctx, os.DirFS(b.dir), upTo, b.opts...)
		if err != nil {
			return explainDev(nil, err)
		}
		d.builtTo = res.AlreadyApplied + len(res.Applied)
	}
	d.value, err = read(ctx, dev)
	return err
}

// driftColumns are the columns of drift's summary.
func driftColumns() ([]string, func(fleetRow) []string) {
	return []string{"OBJECTS", "DIFFERENCES"}, func(r fleetRow) []string {
		if r.drift == nil {
			return make([]string, 2)
		}
		n := 0
		for _, d := range r.drift.differences {
			if !d.Info() {
				n++
			}
		}
		return []string{fmt.Sprint(r.drift.objects), fmt.Sprint(n)}
	}
}

// printFleetDifferences prints, before the summary, the differences of
// each target under its name.
func printFleetDifferences(w io.Writer, results []fleet.Result[fleetRow], redact func(string) string) {
	for _, r := range results {
		d := r.Value.drift
		if d == nil || len(d.differences) == 0 {
			continue
		}
		left := "schema file has"
		if d.built != nil {
			left = "migrations build"
			fmt.Fprintf(w, "%s: against the migrations up to %d, built on %s\n", redact(r.Target.Name), d.built.builtTo, devLabel(d.built.dev))
		} else {
			fmt.Fprintf(w, "%s:\n", redact(r.Target.Name))
		}
		printDifferences(w, d.differences, left, "database has")
	}
}

// jsonFleetDrift is what a target's entry of drift --json adds.
type jsonFleetDrift struct {
	BuiltTo     *int                `json:"built_to,omitempty"` // without --against: the dev database's migrations
	Dev         *jsonDev            `json:"dev,omitempty"`
	Objects     *int                `json:"objects,omitempty"`
	Drifted     *bool               `json:"drifted,omitempty"`
	Differences *[]drift.Difference `json:"differences,omitempty"`
}

func fleetDriftJSON(r fleetRow) jsonFleetDrift {
	if r.drift == nil {
		return jsonFleetDrift{}
	}
	diffs := append([]drift.Difference{}, r.drift.differences...)
	j := jsonFleetDrift{Objects: ptr(r.drift.objects), Drifted: ptr(drift.Drifted(diffs)), Differences: &diffs}
	if b := r.drift.built; b != nil {
		j.BuiltTo, j.Dev = ptr(b.builtTo), b.dev
	}
	return j
}
