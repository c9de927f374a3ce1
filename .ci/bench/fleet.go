package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"
)

// fleetReport is the fan-out over many databases and many schemas: a
// shell loop of one pgmig apply per target against one run with -j 1, 4
// and 8, and the no-op rerun over the whole fleet.
type fleetReport struct {
	modes    []string // from empty, in the order run: "shell loop", "-j N"
	recreate bool     // each mode starts on databases created anew, not emptied
	rows     []fleetRow
	trips    []fleetTrips
}

// fleetTrips is one no-op run over a fleet through the counting proxy.
type fleetTrips struct {
	what    string // the fleet and the command
	targets int
	c       proxyCounts
}

type fleetRow struct {
	what    string
	targets int
	s       *series
	work    []time.Duration // each target's own time (see fleetMode)
}

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
	create := func() error {
		progress("fleet: creating %d databases", dbs)
		for _, name := range names {
			if err := b.srv.DropDatabase(b.ctx, name); err != nil {
				return err
			}
			if _, err := b.admin.ExecContext(b.ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := create(); err != nil {
		return err
	}
	defer func() {
		for _, name := range names {
			_ = b.srv.DropDatabase(b.ctx, name)
		}
	}()
	first := true
	reset := func() error {
		if first {
			first = false
			return nil
		}
		if r.recreate {
			return create()
		}
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
	if err := b.checkFleetDBs(names, n); err != nil {
		return err
	}
	return b.fleetTrips(r, what, dbs, set, "postgres", "--each-database", `fleet\_%`)
}

// fleetTrips runs the no-op apply over the migrated fleet once more, with
// -j 8, through the counting proxy (no delay), and keeps the connections
// and round trips: the first connection lists the targets, each other is
// one target's.
func (b *bench) fleetTrips(r *fleetReport, what string, targets int, set, db, flag, pattern string) error {
	p, err := newDelayProxy(fmt.Sprintf("127.0.0.1:%d", b.c.Port()))
	if err != nil {
		return err
	}
	defer p.close()
	p.reset(0)
	progress("fleet: %s, no-op rerun through the counting proxy", what)
	if _, err := b.exec(b.pgmig, "apply", "--url", pgURL(p.port(), db), "--log-format", "json", flag, pattern, "-j", "8", set); err != nil {
		return err
	}
	r.trips = append(r.trips, fleetTrips{what: fmt.Sprintf("%s: pgmig apply %s '%s' -j 8 (no-op)", what, flag, pattern), targets: targets, c: p.counts()})
	return nil
}

// fleetSchemas migrates schemas tenant schemas of one database with n
// migrations each, as fleetDatabases does.
func (b *bench) fleetSchemas(r *fleetReport, schemas, n int) error {
	set, _, err := genSet(b.work, fmt.Sprintf("fleet-schema-%d", n), n)
	if err != nil {
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
	defer func() { db.Close() }() // the last one reset opened
	first := true
	reset := func() error {
		if first || r.recreate {
			first = false
			db.Close() // its sessions end before the database is dropped
			if err := b.freshDB("fleet_schemas"); err != nil {
				return err
			}
			if db, err = sql.Open("postgres", b.c.DSN("fleet_schemas")); err != nil {
				return err
			}
		}
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
	if err := b.fleetTrips(r, what, schemas, set, "fleet_schemas", "--each-schema", "t%"); err != nil {
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
	for _, mode := range r.modes {
		if err := reset(); err != nil {
			return err
		}
		if _, err := b.admin.ExecContext(b.ctx, "CHECKPOINT"); err != nil {
			return err
		}
		if err := b.fleetMode(r, what+", from empty", targets, mode, loop, fanout); err != nil {
			return err
		}
	}
	for _, mode := range []string{"shell loop", "-j 8"} {
		if err := b.fleetMode(r, what+", no-op rerun", targets, mode, loop, fanout); err != nil {
			return err
		}
	}
	return nil
}

// fleetMode runs one mode once and keeps its wall time and each target's
// own time: for the shell loop the duration of each pgmig's last log event
// (Apply: lock, migrations, unlock; connecting ran beside reading the
// files before it), for a fan-out run each target's duration_ms of --json
// (opening its connection, Apply, closing).
func (b *bench) fleetMode(r *fleetReport, what string, targets int, mode string, loop []string, fanout func(j string) []string) error {
	progress("fleet: %s, %s", what, mode)
	args := loop
	if mode != "shell loop" {
		f := fanout(strings.TrimPrefix(mode, "-j "))
		args = append(append(f[:2:2], "--json"), f[2:]...)
	}
	x, stdout, stderr, err := b.execOut(args...)
	if err != nil {
		return err
	}
	var work []time.Duration
	if mode == "shell loop" {
		work, err = loopTargetTimes(stderr)
	} else {
		work, err = fanoutTargetTimes(stdout)
	}
	if err != nil {
		return fmt.Errorf("fleet: %s, %s: %w", what, mode, err)
	}
	if len(work) != targets {
		return fmt.Errorf("fleet: %s, %s: %d target times for %d targets", what, mode, len(work), targets)
	}
	s := &series{name: mode}
	s.add(x)
	r.rows = append(r.rows, fleetRow{what: what, targets: targets, s: s, work: work})
	progress("fleet: %s, %s: %s, %.1f targets/s, median target %s", what, mode, fmtDur(x.d), float64(targets)/x.d.Seconds(), fmtDur(medianOf(slices.Clone(work))))
	return nil
}

// loopTargetTimes reads the duration of each apply's last log event
// (the one with already_applied) from the JSON log lines of a shell loop.
func loopTargetTimes(logs []byte) ([]time.Duration, error) {
	var out []time.Duration
	for line := range strings.Lines(string(logs)) {
		var ev struct {
			AlreadyApplied *int     `json:"already_applied"`
			Duration       *float64 `json:"duration"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.AlreadyApplied == nil || ev.Duration == nil {
			continue
		}
		out = append(out, time.Duration(*ev.Duration*float64(time.Millisecond)))
	}
	return out, nil
}

// fanoutTargetTimes reads each target's duration_ms from the --json
// report of a fan-out run.
func fanoutTargetTimes(report []byte) ([]time.Duration, error) {
	var rep struct {
		Targets []struct {
			DurationMS *float64 `json:"duration_ms"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(report, &rep); err != nil {
		return nil, fmt.Errorf("reading the --json report: %w", err)
	}
	var out []time.Duration
	for _, t := range rep.Targets {
		if t.DurationMS != nil {
			out = append(out, time.Duration(*t.DurationMS*float64(time.Millisecond)))
		}
	}
	return out, nil
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
	fmt.Fprintln(w, "fleet\tmode\twall time\ttargets per second\tpeak RSS\ttarget's own time: median (min – max)\tper target outside it")
	for _, row := range r.rows {
		d := row.s.median()
		work := slices.Clone(row.work)
		slices.Sort(work)
		var sum time.Duration
		for _, x := range work {
			sum += x
		}
		outside := "-" // targets overlap with -j > 1
		if row.s.name == "shell loop" || row.s.name == "-j 1" {
			outside = fmtDur((d - sum) / time.Duration(row.targets))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.1f\t%s\t%s (%s – %s)\t%s\n", row.what, row.s.name, fmtDur(d), float64(row.targets)/d.Seconds(), mib(row.s.maxRSS()),
			fmtDur(medianOf(work)), fmtDur(work[0]), fmtDur(work[len(work)-1]), outside)
	}
	w.Flush()
	fmt.Fprintln(w0, "target's own time: shell loop, the duration of each pgmig's last log event (Apply: lock, migrations, unlock; connecting overlapped the file reading before it);")
	fmt.Fprintln(w0, "  fan-out, each target's duration_ms in --json (connecting, Apply, closing). Per target outside it: (wall time − sum) / targets, with one target at a time.")
	for _, t := range r.trips {
		t.print(w0)
	}
}

// print says what one no-op fan-out costs per target, against the goal of
// at most one connection and two round trips per target.
func (t fleetTrips) print(w0 io.Writer) {
	c := t.c
	fmt.Fprintf(w0, "%s, through the counting proxy: %d connections, %d round trips (%d of them connecting)\n", t.what, c.conns, c.trips, c.connectTrips)
	if len(c.perConn) == 0 || t.targets == 0 {
		return
	}
	list := c.perConn[0]
	var lo, hi int
	for i, pc := range c.perConn[1:] {
		if i == 0 || pc.trips < lo {
			lo = pc.trips
		}
		hi = max(hi, pc.trips)
	}
	perConn := float64(c.conns-1) / float64(t.targets)
	perTarget := float64(c.trips-list.trips) / float64(t.targets)
	connecting := float64(c.connectTrips-list.connectTrips) / float64(t.targets)
	fmt.Fprintf(w0, "  listing the targets: 1 connection, %d round trips (%d connecting)\n", list.trips, list.connectTrips)
	fmt.Fprintf(w0, "  per target: %.2f connections, %.2f round trips (%.2f connecting, %.2f after; min %d, max %d on one connection)\n",
		perConn, perTarget, connecting, perTarget-connecting, lo, hi)
	verdict := "met"
	if perConn > 1 || perTarget > 2 {
		verdict = "NOT MET"
	}
	fmt.Fprintf(w0, "  goal ≤ 1 connection and ≤ 2 round trips per target: %s\n", verdict)
	if c.tls > 0 {
		fmt.Fprintf(w0, "  (%d connections used TLS: their connecting round trips could not be told apart)\n", c.tls)
	}
}
