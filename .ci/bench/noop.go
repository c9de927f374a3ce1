package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
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
	tripsNoop             int
	gooseErr              string
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
// (process start and flag parsing), 'pgmig validate' (reading and hashing
// the files, no database) and the no-op's round trips through the
// counting proxy.
func (b *bench) noop(r *noopReport, cfg config, set string) error {
	c := b.c
	r.n = cfg.n
	r.pgmig = &series{name: fmt.Sprintf("pgmig apply, %d applied (no-op)", cfg.n)}
	r.goose = &series{name: fmt.Sprintf("goose %s up, %d applied (no-op)", gooseVersion, cfg.n)}
	r.select1 = &series{name: "psql -c 'select 1'"}
	r.version = &series{name: "pgmig version (process start, flag parsing)"}
	r.validate = &series{name: fmt.Sprintf("pgmig validate, %d files (read and hash, no database)", cfg.n)}
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
	r.tripsNoop, _ = p.stats()
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
	for _, s := range []*series{r.pgmig, r.goose, r.select1, r.version, r.validate} {
		if len(s.samples) > 0 {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", s.name, len(s.samples), fmtDur(s.median()), s.rng())
		}
	}
	w.Flush()
	if r.gooseErr != "" {
		fmt.Fprintf(w0, "goose not measured: %s\n", strings.SplitN(r.gooseErr, "\n", 2)[0])
	}
	p, s1 := r.pgmig.median(), r.select1.median()
	fmt.Fprintf(w0, "pgmig no-op: %d round trips after connecting (counted by the proxy, connection start-up included)\n", r.tripsNoop)
	fmt.Fprintf(w0, "where pgmig's time goes (medians): process start + flags %s; reading and hashing %d files %s (overlapped with connecting); the rest (connect, lock, table, rows, unlock) about %s\n",
		fmtDur(r.version.median()), r.n, fmtDur(r.validate.median()-r.version.median()), fmtDur(p-r.validate.median()))
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
