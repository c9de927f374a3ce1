package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// gooseVersion is the goose release the no-op comparison installs from the
// Go module proxy, into the driver's temporary folder: a benchmark-only
// tool, never a dependency of pgmig.
const gooseVersion = "v3.30.0"

// noopReport is the single-target no-op rerun side by side with goose and
// psql, with where pgmig's time goes.
type noopReport struct {
	n                     int
	pgmig, goose, select1 *series
	version, validate     *series
	debug                 *series         // the no-op with --log-level debug, for the breakdown
	parts                 []noopBreakdown // one per run of debug
	trips                 proxyCounts     // of one no-op through the counting proxy
	gooseErr              string
}

// noopBreakdown is what one no-op run with --log-level debug --log-format
// json says of its time: reading and checking the files and connecting
// (side by side), and the database work (lock, no-op check, unlock: the
// duration of the final event).
type noopBreakdown struct {
	total, files, connect, db time.Duration
	waited                    time.Duration // the files, once read, waited this long for the connection
	nfiles                    int
	headStart, readAhead      bool // the socket was connected, the folder read, from the initialiser
}

// parseBreakdown reads the debug events "migration files read and
// checked", "connected (while the files were read)" and the final
// "database is up to date; nothing to apply" from a run's JSON log lines.
// zerolog writes durations as float milliseconds.
func parseBreakdown(out []byte, total time.Duration) (noopBreakdown, error) {
	x := noopBreakdown{total: total}
	var seen [3]bool
	for line := range strings.Lines(string(out)) {
		var ev struct {
			Message  string   `json:"message"`
			Duration *float64 `json:"duration"`
			Files    int      `json:"files"`
			Waited   *float64 `json:"waited"`
			Head     bool     `json:"head_start"`
			Ahead    bool     `json:"read_ahead"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Duration == nil {
			continue
		}
		d := time.Duration(*ev.Duration * float64(time.Millisecond))
		switch ev.Message {
		case "migration files read and checked":
			x.files, x.nfiles, x.readAhead, seen[0] = d, ev.Files, ev.Ahead, true
		case "connected (while the files were read)":
			x.connect, x.headStart, seen[1] = d, ev.Head, true
			if ev.Waited != nil {
				x.waited = time.Duration(*ev.Waited * float64(time.Millisecond))
			}
		case "database is up to date; nothing to apply":
			x.db, seen[2] = d, true
		}
	}
	if seen != [3]bool{true, true, true} {
		return x, fmt.Errorf("no-op with --log-level debug: missing events (files, connect, final: %v) in:\n%s", seen, out)
	}
	return x, nil
}

// installGoose builds goose into dir and returns its path.
func installGoose(b *bench, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(b.ctx, goTool(), "install", "github.com/pressly/goose/v3/cmd/goose@"+gooseVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install goose@%s: %w\n%s", gooseVersion, err, out)
	}
	return filepath.Join(dir, "goose"), nil
}

// goTool is the go command.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// gooseCopy writes the files of set with goose's '-- +goose Up' line on
// top, which goose requires.
func gooseCopy(set, dir string) error {
	entries, err := os.ReadDir(set)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(set, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), append([]byte("-- +goose Up\n"), b...), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noop measures the no-op rerun with n applied migrations: pgmig, goose
// (each on a database it migrated itself) and psql -c 'select 1',
// alternating; and, for where pgmig's time goes, 'pgmig version'
// (process start and flag parsing), the no-op with --log-level debug
// (its log times reading the files, connecting and the database work),
// 'pgmig validate' for reference (reading, hashing and parsing the SQL, no
// database) and the no-op's round trips through the counting proxy.
func (b *bench) noop(r *noopReport, cfg config, set string) error {
	c := b.c
	r.n = cfg.n
	r.pgmig = &series{name: fmt.Sprintf("pgmig apply, %d applied (no-op)", cfg.n)}
	r.goose = &series{name: fmt.Sprintf("goose %s up, %d applied (no-op)", gooseVersion, cfg.n)}
	r.select1 = &series{name: "psql -c 'select 1'"}
	r.version = &series{name: "pgmig version (process start, flag parsing)"}
	r.validate = &series{name: fmt.Sprintf("pgmig validate, %d files (read, hash and parse the SQL; no database)", cfg.n)}
	r.debug = &series{name: fmt.Sprintf("pgmig apply --log-level debug, %d applied (no-op, for the breakdown)", cfg.n)}
	progress("no-op: installing goose %s from the module proxy", gooseVersion)
	goose, err := installGoose(b, filepath.Join(b.work, "goose-bin"))
	if err != nil {
		r.gooseErr = err.Error()
		progress("no-op: %v", err)
	}
	gooseSet := filepath.Join(b.work, "goose-set")
	if goose != "" {
		if err := gooseCopy(set, gooseSet); err != nil {
			return err
		}
	}
	for _, db := range []string{"bench_noop", "bench_goose"} {
		if err := b.freshDB(db); err != nil {
			return err
		}
	}
	progress("no-op: applying %d migrations with pgmig", cfg.n)
	if _, err := b.apply(c.Port(), "bench_noop", set); err != nil {
		return err
	}
	runGoose := func() (sample, error) {
		dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=bench_goose sslmode=disable", c.Port())
		return b.exec(goose, "-dir", gooseSet, "postgres", dsn, "up")
	}
	if goose != "" {
		progress("no-op: applying %d migrations with goose", cfg.n)
		if _, err := runGoose(); err != nil {
			return err
		}
	}
	cases := []struct {
		s   *series
		run func() (sample, error)
	}{
		{r.pgmig, func() (sample, error) { return b.apply(c.Port(), "bench_noop", set) }},
		{r.select1, func() (sample, error) { return b.psqlRun(c.Port(), "bench_noop", "-c", "select 1") }},
		{r.version, func() (sample, error) { return b.exec(b.pgmig, "version") }},
		{r.validate, func() (sample, error) { return b.exec(b.pgmig, "validate", set) }},
		{r.debug, func() (sample, error) {
			x, _, out, err := b.execOut(b.pgmig, "apply", "--url", pgURL(c.Port(), "bench_noop"),
				"--log-format", "json", "--log-level", "debug", set)
			if err != nil {
				return x, err
			}
			part, err := parseBreakdown(out, x.d)
			r.parts = append(r.parts, part)
			return x, err
		}},
	}
	if goose != "" {
		cases = append(cases, struct {
			s   *series
			run func() (sample, error)
		}{r.goose, runGoose})
	}
	rounds := max(cfg.rounds, 5)
	for round := 0; round < rounds; round++ {
		progress("no-op round %d/%d", round+1, rounds)
		for k := range cases {
			cs := cases[(k+round)%len(cases)]
			x, err := cs.run()
			if err != nil {
				return err
			}
			cs.s.add(x)
		}
	}
	p, err := newDelayProxy(fmt.Sprintf("127.0.0.1:%d", c.Port()))
	if err != nil {
		return err
	}
	defer p.close()
	p.reset(0)
	if _, err := b.apply(p.port(), "bench_noop", set); err != nil {
		return err
	}
	r.trips = p.counts()
	for _, db := range []string{"bench_noop", "bench_goose"} {
		if err := b.srv.DropDatabase(b.ctx, db); err != nil {
			return err
		}
	}
	return nil
}

func (r *noopReport) print(w0 io.Writer) {
	if r.pgmig == nil || len(r.pgmig.samples) == 0 {
		return
	}
	fmt.Fprintln(w0)
	fmt.Fprintf(w0, "no-op rerun, one target, %d applied migrations (cases alternate within each round)\n", r.n)
	w := tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "case\truns\tmedian\tmin – max")
	for _, s := range []*series{r.pgmig, r.goose, r.select1, r.version, r.debug, r.validate} {
		if len(s.samples) > 0 {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", s.name, len(s.samples), fmtDur(s.median()), s.rng())
		}
	}
	w.Flush()
	if r.gooseErr != "" {
		fmt.Fprintf(w0, "goose not measured: %s\n", strings.SplitN(r.gooseErr, "\n", 2)[0])
	}
	p, s1 := r.pgmig.median(), r.select1.median()
	t := r.trips
	fmt.Fprintf(w0, "pgmig no-op: %d round trips after connecting (counted by the proxy: %d round trips in all, %d of them connecting, over %d connections)\n",
		t.trips-t.connectTrips, t.trips, t.connectTrips, t.conns)
	if t.tls > 0 {
		fmt.Fprintf(w0, "  (%d connections used TLS: their connecting round trips could not be told apart)\n", t.tls)
	}
	r.printBreakdown(w0)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	fmt.Fprintf(w0, "target no-op ≤ 1.2 × psql select 1: %.2f× (%s vs %s): %s\n", float64(p)/float64(s1), fmtDur(p), fmtDur(s1), verdict(float64(p) <= 1.2*float64(s1)))
	if g := r.goose.median(); g > 0 {
		fmt.Fprintf(w0, "target no-op ≤ goose: %.2f× (%s vs %s): %s\n", float64(p)/float64(g), fmtDur(p), fmtDur(g), verdict(p <= g))
	}
}

// printBreakdown prints where the no-op's time goes, from the runs with
// --log-level debug: medians of each part, and of each run's rest.
func (r *noopReport) printBreakdown(w0 io.Writer) {
	if len(r.parts) == 0 {
		return
	}
	start := r.version.median()
	var files, connect, waited, db, total, rest []time.Duration
	heads, aheads := 0, 0
	for _, x := range r.parts {
		if x.headStart {
			heads++
		}
		if x.readAhead {
			aheads++
		}
		files, connect, db, total = append(files, x.files), append(connect, x.connect), append(db, x.db), append(total, x.total)
		waited = append(waited, x.waited)
		rest = append(rest, x.total-start-x.files-x.waited-x.db)
	}
	fmt.Fprintf(w0, "where pgmig's time goes (medians of %d no-op runs with --log-level debug --log-format json, total %s; process start from pgmig version):\n",
		len(r.parts), fmtDur(medianOf(total)))
	fmt.Fprintf(w0, "  process start + flags %s; files checked (%d) %s after the flags (read ahead from the initialiser in %d of %d runs); "+
		"login %s (begun before the flags were parsed, over a socket connected from the initialiser in %d of %d runs), of which the files waited %s; "+
		"database work (lock, no-op check, unlock) %s; rest %s\n",
		fmtDur(start), r.parts[0].nfiles, fmtDur(medianOf(files)), aheads, len(r.parts), fmtDur(medianOf(connect)), heads, len(r.parts),
		fmtDur(medianOf(waited)), fmtDur(medianOf(db)), fmtDur(medianOf(rest)))
	fmt.Fprintln(w0, "  (rest = total − start − files − waited − database work, per run: settings, the log lines, exit)")
}
