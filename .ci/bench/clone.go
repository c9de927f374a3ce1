package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

// cloneReport is a migrated database per test: applying n migrations to
// a fresh database against cloning the template of those files, per
// PostgreSQL version, median ms per test database.
type cloneReport struct {
	n    int
	rows []cloneRow
}

type cloneRow struct {
	version  string
	settings string // the cluster's durability settings
	build    time.Duration
	cases    []*series
}

// cloneDurability parses -clone-fsync: "on" (the default durability
// settings), "off" (fsync, full_page_writes and synchronous_commit off, as
// migratortest's non-durable clusters and pgtestdb's suggested server
// have), or both, comma-separated, in the order measured.
func cloneDurability(s string) ([]bool, error) {
	var out []bool
	for _, v := range strings.Split(s, ",") {
		switch strings.TrimSpace(v) {
		case "on":
			out = append(out, true)
		case "off":
			out = append(out, false)
		default:
			return nil, fmt.Errorf("-clone-fsync: %q is neither on nor off", v)
		}
	}
	return out, nil
}

// cloneBench starts a cluster from bindir and measures, for n migrations,
// what one test database costs: CREATE DATABASE + Apply (in-process, as a
// Go test would), against cloning the template with the server's default
// strategy, FILE_COPY and WAL_LOG, alternating. Each database is dropped
// after it is timed. The cluster keeps the default durability settings
// when durable, else has fsync, full_page_writes and synchronous_commit
// off.
func cloneBench(ctx context.Context, r *cloneReport, bindir string, durable bool, settings map[string]string, n, rounds int) (err error) {
	r.n = n
	c, err := migratortest.NewCluster(migratortest.ClusterOptions{Durable: durable, BinDir: bindir, Settings: settings})
	if err != nil {
		return err
	}
	defer func() { err = joinErr(err, c.Close()) }()
	srv, err := migratortest.OpenServer(c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer srv.Close()
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	var version, fsync, fpw, syncCommit string
	if err := admin.QueryRowContext(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('full_page_writes'), current_setting('synchronous_commit')`).Scan(&version, &fsync, &fpw, &syncCommit); err != nil {
		return err
	}
	shown := fmt.Sprintf("fsync=%s full_page_writes=%s synchronous_commit=%s", fsync, fpw, syncCommit)
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		shown += " " + name + "=" + settings[name]
	}
	progress("clone (PostgreSQL %s): %s", version, shown)
	files, err := migrator.ReadFiles(migratortest.GenerateMigrations(n))
	if err != nil {
		return err
	}
	cfg, err := pq.NewConfig(c.DSN("postgres"))
	if err != nil {
		return err
	}
	ts, err := templatedb.Open(cfg)
	if err != nil {
		return err
	}
	defer ts.Close()
	progress("clone (PostgreSQL %s): building the template of %d migrations", version, n)
	tmpl, err := ts.Ensure(ctx, files, templatedb.Options{Family: "bench"})
	if err != nil {
		return err
	}
	defer ts.Drop(context.WithoutCancel(ctx), tmpl.Name)
	row := cloneRow{version: version, settings: shown, build: tmpl.BuildTime}
	apply := &series{name: fmt.Sprintf("CREATE DATABASE + apply %d migrations", n)}
	clones := map[templatedb.Strategy]*series{
		templatedb.StrategyDefault:  {name: "clone, server's default strategy"},
		templatedb.StrategyFileCopy: {name: "clone, STRATEGY FILE_COPY"},
		templatedb.StrategyWALLog:   {name: "clone, STRATEGY WAL_LOG"},
	}
	row.cases = []*series{apply, clones[templatedb.StrategyDefault], clones[templatedb.StrategyFileCopy], clones[templatedb.StrategyWALLog]}
	type job struct {
		s   *series
		run func(name string) error
	}
	jobs := []job{{apply, func(name string) error {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
			return err
		}
		db, err := sql.Open("postgres", c.DSN(name))
		if err != nil {
			return err
		}
		defer db.Close()
		m, err := files.New(db)
		if err != nil {
			return err
		}
		_, err = m.Apply(ctx)
		return err
	}}}
	for _, st := range []templatedb.Strategy{templatedb.StrategyDefault, templatedb.StrategyFileCopy, templatedb.StrategyWALLog} {
		jobs = append(jobs, job{clones[st], func(name string) error { return ts.Clone(ctx, tmpl, name, st) }})
	}
	for round := 0; round < rounds; round++ {
		progress("clone (PostgreSQL %s): round %d/%d", version, round+1, rounds)
		for k := range jobs {
			j := jobs[(k+round)%len(jobs)]
			name := fmt.Sprintf("bench_clone_%d", k)
			start := time.Now()
			if err := j.run(name); err != nil {
				return fmt.Errorf("%s: %w", j.s.name, err)
			}
			j.s.add(sample{d: time.Since(start)})
			if err := srv.DropDatabase(ctx, name); err != nil {
				return err
			}
		}
	}
	r.rows = append(r.rows, row)
	return nil
}

func joinErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (r *cloneReport) print(w0 io.Writer) {
	if len(r.rows) == 0 {
		return
	}
	fmt.Fprintln(w0)
	fmt.Fprintf(w0, "a migrated database per test, %d migrations (in-process, as a Go test; cases alternate within each round)\n", r.n)
	w := tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PostgreSQL\tdurability\tcase\truns\tmedian per test database\tmin – max\tvs apply")
	for _, row := range r.rows {
		base := row.cases[0].median()
		for _, s := range row.cases {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%.1f×\n", row.version, row.settings, s.name, len(s.samples), fmtDur(s.median()), s.rng(), float64(base)/float64(s.median()))
		}
		fmt.Fprintf(w, "%s\t%s\ttemplate build (once per set of files)\t1\t%s\t\t\n", row.version, row.settings, fmtDur(row.build))
	}
	w.Flush()
}

// cloneBindirs parses -clone-pg: comma-separated server bin folders.
func cloneBindirs(s string) []string {
	var out []string
	for _, d := range strings.Split(s, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}
