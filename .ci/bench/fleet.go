package main

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/lib/pq"
)

// fleetReport is the fan-out over many databases and many schemas: a
// shell loop of one pgmig apply per target against one run with -j 1, 4
// and 8, and the no-op rerun over the whole fleet.
type fleetReport struct {
	rows []fleetRow
}

type fleetRow struct {
	what    string
	targets int
	s       *series
}

// fleetModes are the ways a fleet is migrated, in the order measured.
var fleetModes = []string{"shell loop", "-j 1", "-j 4", "-j 8"}

// fleetDatabases migrates dbs databases with n migrations each, once per
// mode from empty, then reruns the no-op over the fleet (shell loop and
// -j 8).
func (b *bench) fleetDatabases(r *fleetReport, dbs, n int) error {
	set, _, err := genSet(b.work, fmt.Sprintf("fleet-db-%d", n), n)
	if err != nil {
		return err
	}
	names := make([]string, dbs)
	var targets strings.Builder
	for i := range names {
		names[i] = fmt.Sprintf("fleet_%04d", i+1)
		fmt.Fprintln(&targets, pgURL(b.c.Port(), names[i]))
	}
	loop := filepath.Join(b.work, "fleet-db-loop.sh")
	if err := os.WriteFile(loop, []byte(shellLoop(b.pgmig, targets.String(), set, "")), 0o755); err != nil {
		return err
	}
	progress("fleet: creating %d databases", dbs)
	for _, name := range names {
		if err := b.srv.DropDatabase(b.ctx, name); err != nil {
			return err
		}
		if _, err := b.admin.ExecContext(b.ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
			return err
		}
	}
	defer func() {
		for _, name := range names {
			_ = b.srv.DropDatabase(b.ctx, name)
		}
	}()
	reset := func() error {
		return b.eachDB(names, func(db *sql.DB) error {
			_, err := db.ExecContext(b.ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
			return err
		})
	}
	what := fmt.Sprintf("%d databases × %d migrations", dbs, n)
	eachDB := func(j string) []string {
		return []string{b.pgmig, "apply", "--url", pgURL(b.c.Port(), "postgres"), "--log-format", "json",
			"--each-database", `fleet\_%`, "-j", j, set}
	}
	if err := b.fleetModes(r, what, dbs, reset, []string{"sh", loop}, eachDB); err != nil {
		return err
	}
	return b.checkFleetDBs(names, n)
}

// fleetSchemas migrates schemas tenant schemas of one database with n
// migrations each, as fleetDatabases does.
func (b *bench) fleetSchemas(r *fleetReport, schemas, n int) error {
	set, _, err := genSet(b.work, fmt.Sprintf("fleet-schema-%d", n), n)
	if err != nil {
		return err
	}
	if err := b.freshDB("fleet_schemas"); err != nil {
		return err
	}
	defer b.srv.DropDatabase(b.ctx, "fleet_schemas")
	var loop strings.Builder
	loop.WriteString("#!/bin/sh\nset -e\n")
	names := make([]string, schemas)
	for i := range names {
		names[i] = fmt.Sprintf("t%04d", i+1)
		url := pgURL(b.c.Port(), "fleet_schemas") + "&search_path=" + names[i]
		fmt.Fprintf(&loop, "%s apply --log-format json --url '%s' --table %s.migrations %s >/dev/null\n", b.pgmig, url, names[i], set)
	}
	script := filepath.Join(b.work, "fleet-schema-loop.sh")
	if err := os.WriteFile(script, []byte(loop.String()), 0o755); err != nil {
		return err
	}
	db, err := sql.Open("postgres", b.c.DSN("fleet_schemas"))
	if err != nil {
		return err
	}
	defer db.Close()
	reset := func() error {
		// In batches: one transaction dropping them all would need more
		// lock slots than max_locks_per_transaction gives.
		for i := 0; i < len(names); i += 20 {
			var stmt strings.Builder
			for _, s := range names[i:min(i+20, len(names))] {
				fmt.Fprintf(&stmt, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;\n", s, s)
			}
			if _, err := db.ExecContext(b.ctx, stmt.String()); err != nil {
				return err
			}
		}
		return nil
	}
	what := fmt.Sprintf("%d schemas × %d migrations", schemas, n)
	eachSchema := func(j string) []string {
		return []string{b.pgmig, "apply", "--url", pgURL(b.c.Port(), "fleet_schemas"), "--log-format", "json",
			"--each-schema", `t%`, "-j", j, set}
	}
	if err := b.fleetModes(r, what, schemas, reset, []string{"sh", script}, eachSchema); err != nil {
		return err
	}
	var bad int
	if err := db.QueryRowContext(b.ctx, fmt.Sprintf(`SELECT count(*) FROM pg_namespace n
		WHERE n.nspname LIKE 't%%' AND (SELECT count(*) FROM pg_tables WHERE schemaname = n.nspname) <> %d`, n+1)).Scan(&bad); err != nil {
		return err
	}
	if bad != 0 {
		return fmt.Errorf("fleet: %d schemas lack their %d tables", bad, n)
	}
	return nil
}

// fleetModes runs each mode from empty (reset first), then the no-op
// reruns.
func (b *bench) fleetModes(r *fleetReport, what string, targets int, reset func() error, loop []string, fanout func(j string) []string) error {
	for _, mode := range fleetModes {
		if err := reset(); err != nil {
			return err
		}
		if _, err := b.admin.ExecContext(b.ctx, "CHECKPOINT"); err != nil {
			return err
		}
		progress("fleet: %s, %s from empty", what, mode)
		args := loop
		if mode != "shell loop" {
			args = fanout(strings.TrimPrefix(mode, "-j "))
		}
		x, err := b.exec(args...)
		if err != nil {
			return err
		}
		s := &series{name: mode}
		s.add(x)
		r.rows = append(r.rows, fleetRow{what: what + ", from empty", targets: targets, s: s})
		progress("fleet: %s, %s from empty: %s, %.1f targets/s", what, mode, fmtDur(x.d), float64(targets)/x.d.Seconds())
	}
	for _, mode := range []string{"shell loop", "-j 8"} {
		progress("fleet: %s, no-op rerun, %s", what, mode)
		args := loop
		if mode != "shell loop" {
			args = fanout("8")
		}
		x, err := b.exec(args...)
		if err != nil {
			return err
		}
		s := &series{name: mode}
		s.add(x)
		r.rows = append(r.rows, fleetRow{what: what + ", no-op rerun", targets: targets, s: s})
		progress("fleet: %s, no-op rerun, %s: %s, %.1f targets/s", what, mode, fmtDur(x.d), float64(targets)/x.d.Seconds())
	}
	return nil
}

// shellLoop is a shell script that applies dir to every URL, one pgmig
// process each, as a loop in a deploy script would.
func shellLoop(pgmig, urls, dir, extra string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\nset -e\n")
	for _, u := range strings.Fields(urls) {
		fmt.Fprintf(&b, "%s apply --log-format json --url '%s' %s %s >/dev/null\n", pgmig, u, extra, dir)
	}
	return b.String()
}

// eachDB runs f on every database, four at a time.
func (b *bench) eachDB(names []string, f func(*sql.DB) error) error {
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				db, err := sql.Open("postgres", b.c.DSN(name))
				if err == nil {
					err = f(db)
					db.Close()
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		}()
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

// checkFleetDBs verifies that every database recorded n migrations.
func (b *bench) checkFleetDBs(names []string, n int) error {
	return b.eachDB(names, func(db *sql.DB) error {
		var got int
		if err := db.QueryRowContext(b.ctx, "SELECT count(*) FROM migrations WHERE id > 0").Scan(&got); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d migrations recorded, want %d", got, n)
		}
		return nil
	})
}

func (r *fleetReport) print(w0 io.Writer) {
	if len(r.rows) == 0 {
		return
	}
	fmt.Fprintln(w0)
	fmt.Fprintln(w0, "fleets: one pgmig apply per target in a shell loop, against one run over every target (--each-database, --each-schema) with -j N; one run each")
	w := tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "fleet\tmode\twall time\ttargets per second\tpeak RSS")
	for _, row := range r.rows {
		d := row.s.median()
		fmt.Fprintf(w, "%s\t%s\t%s\t%.1f\t%s\n", row.what, row.s.name, fmtDur(d), float64(row.targets)/d.Seconds(), mib(row.s.maxRSS()))
	}
	w.Flush()
}
