// Command bench measures pgmig against psql on a throwaway PostgreSQL
// cluster with the default durability settings, and prints a table with the
// performance targets. Run it from the repository root:
//
//	go run ./.ci/bench -rounds 5
//
// It needs the PostgreSQL server binaries (initdb, postgres, psql). The
// cluster is a migratortest.NewCluster with the default durability
// settings; as root the server runs as the OS user postgres (or nobody).
// The migration sets are migratortest.GenerateMigrations and
// WriteBigMigration, which the Go benchmarks use too. Everything it
// creates (cluster, migration sets, the pgmig binary) lives in temporary
// directories that are removed at the end, Ctrl-C included.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

type config struct {
	rounds    int
	n, bigN   int
	bigRounds int
	bigFileMB int
	latencyN  int
	delay     time.Duration
	bindir    string
	bigPsql   bool
	cases     map[string]bool
	src       string

	fleetDBs, fleetDBN         int               // fleet: databases × migrations
	fleetSchemas, fleetSchemaN int               // fleet: schemas × migrations
	fleetModes                 []string          // fleet: modes from empty, in the order run
	fleetReset                 string            // fleet: how each mode's fleet is made empty
	cloneN                     int               // clone: migrations per test database
	clonePG                    string            // clone: server bin folders, comma-separated
	cloneDurable               []bool            // clone: durability settings to measure (-clone-fsync)
	cloneSettings              map[string]string // clone: extra server settings of the clone clusters (-clone-setting)
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds of each measurement (cases alternate within a round)")
	flag.IntVar(&cfg.n, "n", 1000, "migrations in the main set")
	flag.IntVar(&cfg.bigN, "big-n", 10000, "migrations in the large set")
	flag.IntVar(&cfg.bigRounds, "big-rounds", 1, "rounds of applying the large set (its no-op reruns use -rounds)")
	flag.BoolVar(&cfg.bigPsql, "big-psql", false, "also run psql (one transaction per file) on the large set")
	flag.IntVar(&cfg.bigFileMB, "bigfile-mb", 100, "size of the single large migration file in MiB")
	flag.IntVar(&cfg.latencyN, "latency-n", 100, "migrations applied through the delaying proxy")
	flag.DurationVar(&cfg.delay, "delay", time.Millisecond, "delay added to each round trip in the latency measurement")
	flag.StringVar(&cfg.bindir, "pg-bindir", "", "directory of initdb, postgres and psql (default: $PGMIG_PG_BINDIR, then PATH, then the highest /usr/lib/postgresql/*/bin)")
	cases := flag.String("cases", "main,big,file,latency,noop,fleet,clone", "measurements to run: main (the main set), big (the large set), file (one large file), latency, noop (no-op rerun against goose and psql), fleet (many databases and schemas), clone (a migrated database per test)")
	flag.IntVar(&cfg.fleetDBs, "fleet-dbs", 200, "fleet: databases (0: none)")
	flag.IntVar(&cfg.fleetDBN, "fleet-db-n", 30, "fleet: migrations per database")
	flag.IntVar(&cfg.fleetSchemas, "fleet-schemas", 1000, "fleet: tenant schemas (0: none)")
	flag.IntVar(&cfg.fleetSchemaN, "fleet-schema-n", 10, "fleet: migrations per schema")
	modes := flag.String("fleet-modes", "loop,1,4,8", "fleet: modes measured from empty, in this order: loop (one pgmig per target), or a number N (one run with -j N)")
	flag.StringVar(&cfg.fleetReset, "fleet-reset", "recreate", "fleet: how each mode after the first gets its empty fleet: recreate (drop and create the databases, so that every mode starts from the same catalogs) or drop-schema (DROP SCHEMA ... CASCADE in place, which leaves the dropped tables' dead catalog rows to the next mode and to autovacuum)")
	flag.IntVar(&cfg.cloneN, "clone-n", 300, "clone: migrations per test database")
	flag.StringVar(&cfg.clonePG, "clone-pg", os.Getenv("PGMIG_BENCH_CLONE_PG"), "clone: server bin folders to compare, comma-separated (default: the cluster's own; e.g. /usr/lib/postgresql/15/bin,/var/tmp/pgmig-pg/18/native/bin)")
	cloneFsync := flag.String("clone-fsync", "on", "clone: durability of the clone case's clusters, comma-separated: on (the default settings), off (fsync, full_page_writes and synchronous_commit off); e.g. on,off")
	flag.StringVar(&cfg.src, "src", "", "build pgmig from this module folder (default: the module the driver runs in), e.g. a private copy with a change to measure")
	cfg.cloneSettings = map[string]string{}
	flag.Func("clone-setting", "clone: a server setting name=value of the clone case's clusters, repeatable (e.g. io_method=sync on PostgreSQL 18)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("%q is not name=value", s)
		}
		cfg.cloneSettings[name] = value
		return nil
	})
	flag.Parse()
	cfg.cases = map[string]bool{}
	for _, c := range strings.Split(*cases, ",") {
		switch c = strings.TrimSpace(c); c {
		case "main", "big", "file", "latency", "noop", "fleet", "clone":
			cfg.cases[c] = true
		default:
			fmt.Fprintf(os.Stderr, "bench: unknown case %q in -cases\n", c)
			os.Exit(2)
		}
	}
	for _, m := range strings.Split(*modes, ",") {
		switch m = strings.TrimSpace(m); {
		case m == "loop":
			cfg.fleetModes = append(cfg.fleetModes, "shell loop")
		case m != "" && strings.Trim(m, "0123456789") == "" && strings.Trim(m, "0") != "":
			cfg.fleetModes = append(cfg.fleetModes, "-j "+m)
		default:
			fmt.Fprintf(os.Stderr, "bench: -fleet-modes: %q is neither loop nor a number of 1 or more\n", m)
			os.Exit(2)
		}
	}
	if cfg.fleetReset != "recreate" && cfg.fleetReset != "drop-schema" {
		fmt.Fprintf(os.Stderr, "bench: -fleet-reset: %q is neither recreate nor drop-schema\n", cfg.fleetReset)
		os.Exit(2)
	}
	var err error
	if cfg.cloneDurable, err = cloneDurability(*cloneFsync); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.rounds < 1 || cfg.n < 2 || cfg.latencyN < 2 {
		fmt.Fprintln(os.Stderr, "bench: -rounds must be 1 or more, -n and -latency-n 2 or more")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// series is the samples of one case.
type series struct {
	name    string
	samples []sample
}

type sample struct {
	d      time.Duration
	rssKiB int64
	trips  int           // round trips seen by the proxy
	added  time.Duration // mean delay the proxy added per round trip
}

func (s *series) add(x sample) { s.samples = append(s.samples, x) }

func (s *series) durations() []time.Duration {
	if s == nil {
		return nil
	}
	var ds []time.Duration
	for _, x := range s.samples {
		ds = append(ds, x.d)
	}
	slices.Sort(ds)
	return ds
}

func (s *series) median() time.Duration { return medianOf(s.durations()) }

func medianOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

func (s *series) rng() string {
	ds := s.durations()
	if len(ds) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s – %s", fmtDur(ds[0]), fmtDur(ds[len(ds)-1]))
}

func (s *series) maxRSS() int64 {
	var m int64
	for _, x := range s.samples {
		m = max(m, x.rssKiB)
	}
	return m
}

func (s *series) medianRSS() int64 {
	var r []int64
	for _, x := range s.samples {
		r = append(r, x.rssKiB)
	}
	slices.Sort(r)
	if len(r) == 0 {
		return 0
	}
	return r[len(r)/2]
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.3f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// bench runs programs against the cluster.
type bench struct {
	ctx     context.Context
	c       *migratortest.Cluster
	srv     *migratortest.Server // drops the databases
	admin   *sql.DB              // one session on database postgres
	pgmig   string
	psql    string
	env     []string
	work    string
	timeBin string // GNU time, "" when not installed
}

// exec runs a program and returns its wall time and peak RSS. The peak RSS
// comes from GNU time when installed: the rusage of a child started by Go
// reports at least the driver's own RSS, because Go starts children with
// vfork semantics and Linux counts the parent's memory before the exec.
func (b *bench) exec(args ...string) (sample, error) {
	s, _, _, err := b.execOut(args...)
	return s, err
}

// execOut is exec that also returns what the program wrote to stdout and
// to stderr.
func (b *bench) execOut(args ...string) (s sample, stdout, stderr []byte, err error) {
	var rssFile string
	if b.timeBin != "" {
		rssFile = filepath.Join(b.work, "maxrss")
		args = append([]string{b.timeBin, "-f", "%M", "-o", rssFile}, args...)
	}
	cmd := exec.CommandContext(b.ctx, args[0], args[1:]...)
	cmd.Env = b.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		if b.ctx.Err() != nil {
			return sample{}, nil, nil, b.ctx.Err()
		}
		tail := func(b []byte) []byte { return b[max(len(b)-2000, 0):] }
		return sample{}, nil, nil, fmt.Errorf("%s: %w\n%s\n%s", strings.Join(args, " "), err, tail(out.Bytes()), tail(errOut.Bytes()))
	}
	s = sample{d: d}
	if rssFile != "" {
		out, err := os.ReadFile(rssFile)
		if err != nil {
			return s, nil, nil, err
		}
		if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &s.rssKiB); err != nil {
			return s, nil, nil, fmt.Errorf("reading peak RSS from GNU time: %q: %w", out, err)
		}
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rssKiB = ru.Maxrss // KiB on Linux; at least the driver's RSS, see above
	}
	return s, out.Bytes(), errOut.Bytes(), nil
}

func (b *bench) apply(port int, db, dir string, extra ...string) (sample, error) {
	args := []string{b.pgmig, "apply", "--url", pgURL(port, db), "--log-format", "json"}
	args = append(args, extra...)
	return b.exec(append(args, dir)...)
}

func (b *bench) psqlRun(port int, db string, args ...string) (sample, error) {
	base := []string{b.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", fmt.Sprint(port), "-U", "postgres", "-d", db}
	return b.exec(append(base, args...)...)
}

// checkApplied verifies that pgmig recorded want migrations in db.
func (b *bench) checkApplied(db string, want int) error {
	h, err := sql.Open("postgres", b.c.DSN(db))
	if err != nil {
		return err
	}
	defer h.Close()
	var n int
	if err := h.QueryRowContext(b.ctx, "SELECT count(*) FROM migrations WHERE id > 0").Scan(&n); err != nil {
		return fmt.Errorf("check %s: %w", db, err)
	}
	if n != want {
		return fmt.Errorf("check %s: %d migrations recorded, want %d", db, n, want)
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// pgURL is the URL pgmig gets for database db at port port of 127.0.0.1.
func pgURL(port int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}

// cleanEnv is the environment without PG* and pgmig's connection variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "DATABASE_URL=") ||
			strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// freshDB creates an empty database and checkpoints, so that every timed
// run starts from the same state.
func (b *bench) freshDB(name string) error {
	if err := b.srv.DropDatabase(b.ctx, name); err != nil {
		return err
	}
	if _, err := b.admin.ExecContext(b.ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	_, err := b.admin.ExecContext(b.ctx, "CHECKPOINT")
	return err
}

func run(ctx context.Context, cfg config) (err error) {
	work, err := os.MkdirTemp("", "pgmig-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}

	progress("building pgmig")
	pgmig := filepath.Join(work, "pgmig")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goTool = p
	}
	build := exec.CommandContext(ctx, goTool, "build", "-o", pgmig, "./cmd/pgmig")
	if build.Dir = cfg.src; build.Dir == "" {
		if build.Dir, err = moduleRoot(ctx, goTool); err != nil {
			return err
		}
	}
	progress("pgmig built from %s", build.Dir)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}

	progress("generating migration sets in %s", work)
	set, files, err := genSet(work, "set1k", cfg.n)
	if err != nil {
		return err
	}
	perFile, oneTx := filepath.Join(work, "per-file.psql"), filepath.Join(work, "one-tx.psql")
	if err := psqlScript(perFile, files, true); err != nil {
		return err
	}
	if err := psqlScript(oneTx, files, false); err != nil {
		return err
	}
	var bigSet, bigPerFile, bigFileDir string
	var bigFileSize int64
	if cfg.cases["big"] {
		var bigFiles []string
		if bigSet, bigFiles, err = genSet(work, "set10k", cfg.bigN); err != nil {
			return err
		}
		bigPerFile = filepath.Join(work, "big-per-file.psql")
		if err := psqlScript(bigPerFile, bigFiles, true); err != nil {
			return err
		}
	}
	if cfg.cases["file"] {
		if bigFileDir, bigFileSize, err = genBigFile(work, cfg.bigFileMB); err != nil {
			return err
		}
	}
	latSet, latFiles, err := genSet(work, "set-latency", cfg.latencyN)
	if err != nil {
		return err
	}
	latPerFile := filepath.Join(work, "latency-per-file.psql")
	if err := psqlScript(latPerFile, latFiles, true); err != nil {
		return err
	}

	progress("starting PostgreSQL (default durability settings)")
	// Durability settings are left at their defaults on purpose.
	c, err := migratortest.NewCluster(migratortest.ClusterOptions{Durable: true, BinDir: cfg.bindir})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	progress("PostgreSQL from %s on port %d", c.BinDir(), c.Port())
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
	admin.SetMaxOpenConns(1)
	var version, fsync, syncCommit string
	if err := admin.QueryRowContext(ctx, "SELECT version(), current_setting('fsync'), current_setting('synchronous_commit')").
		Scan(&version, &fsync, &syncCommit); err != nil {
		return err
	}
	b := &bench{ctx: ctx, c: c, srv: srv, admin: admin, pgmig: pgmig, psql: filepath.Join(c.BinDir(), "psql"), env: cleanEnv(), work: work}
	rssSource := "wait4 rusage (includes the driver's own RSS: install GNU time for exact figures)"
	if out, err := exec.Command("/usr/bin/time", "-f", "%M", "true").CombinedOutput(); err == nil && strings.TrimSpace(string(out)) != "" {
		b.timeBin = "/usr/bin/time"
		rssSource = "GNU time %M (every run, timed ones included, is started through /usr/bin/time)"
	}
	if _, err := os.Stat(b.psql); err != nil {
		// Not /usr/bin/psql on Debian: that is pg_wrapper, a Perl script
		// that adds tens of milliseconds to every start.
		if b.psql, err = exec.LookPath("psql"); err != nil {
			return err
		}
	}
	r := &report{cfg: cfg}
	load, _ := os.ReadFile("/proc/loadavg")
	r.header = fmt.Sprintf("server: %s\nfsync=%s synchronous_commit=%s; %d CPUs; load average at start: %s; psql: %s; rounds: %d; peak RSS: %s",
		version, fsync, syncCommit, runtime.NumCPU(), strings.TrimSpace(string(load)), b.psql, cfg.rounds, rssSource)

	// Warm the page cache for both programs.
	if _, err := b.psqlRun(c.Port(), "postgres", "-c", "select 1"); err != nil {
		return err
	}
	if _, err := b.exec(pgmig, "version"); err != nil {
		return err
	}

	if cfg.cases["main"] {
		if err := b.mainSet(r, cfg, set, perFile, oneTx); err != nil {
			return err
		}
	}
	if cfg.cases["big"] {
		if err := b.bigSet(r, cfg, bigSet, bigPerFile); err != nil {
			return err
		}
	}
	if cfg.cases["file"] {
		if err := b.bigFile(r, bigFileDir, bigFileSize); err != nil {
			return err
		}
	}
	if cfg.cases["latency"] {
		if err := b.latency(r, cfg, latSet, latPerFile); err != nil {
			return err
		}
	}
	var noop noopReport
	if cfg.cases["noop"] {
		if err := b.noop(&noop, cfg, set); err != nil {
			return err
		}
	}
	var fleet fleetReport
	if cfg.cases["fleet"] {
		fleet.modes, fleet.recreate = cfg.fleetModes, cfg.fleetReset == "recreate"
		if cfg.fleetDBs > 0 {
			if err := b.fleetDatabases(&fleet, cfg.fleetDBs, cfg.fleetDBN); err != nil {
				return err
			}
		}
		if cfg.fleetSchemas > 0 {
			if err := b.fleetSchemas(&fleet, cfg.fleetSchemas, cfg.fleetSchemaN); err != nil {
				return err
			}
		}
	}
	var clone cloneReport
	if cfg.cases["clone"] {
		dirs := cloneBindirs(cfg.clonePG)
		if len(dirs) == 0 {
			dirs = []string{c.BinDir()}
		}
		for _, d := range dirs {
			for _, durable := range cfg.cloneDurable {
				if err := cloneBench(ctx, &clone, d, durable, cfg.cloneSettings, cfg.cloneN, max(cfg.rounds, 5)); err != nil {
					return err
				}
			}
		}
	}
	r.print(os.Stdout)
	noop.print(os.Stdout)
	fleet.print(os.Stdout)
	clone.print(os.Stdout)
	return nil
}

func moduleRoot(ctx context.Context, goTool string) (string, error) {
	out, err := exec.CommandContext(ctx, goTool, "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", errors.New("run the driver inside the pgmig module (go run ./.ci/bench)")
	}
	return filepath.Dir(mod), nil
}

// mainSet measures psql and pgmig on the main set, alternating the cases
// within each round, and the no-op rerun against psql -c 'select 1'.
func (b *bench) mainSet(r *report, cfg config, set, perFile, oneTx string) error {
	c := b.c
	n := cfg.n
	r.psqlPerFile = &series{name: fmt.Sprintf("psql, %d files, one transaction per file (baseline)", n)}
	r.psqlOneTx = &series{name: fmt.Sprintf("psql, %d files, one transaction", n)}
	r.apply = &series{name: fmt.Sprintf("pgmig apply, %d files, from empty", n)}
	r.noop = &series{name: fmt.Sprintf("pgmig apply, %d applied (no-op)", n)}
	r.select1 = &series{name: "psql -c 'select 1'"}
	cases := []struct {
		s   *series
		run func(db string) (sample, error)
	}{
		{r.psqlPerFile, func(db string) (sample, error) { return b.psqlRun(c.Port(), db, "-f", perFile) }},
		{r.psqlOneTx, func(db string) (sample, error) { return b.psqlRun(c.Port(), db, "-f", oneTx) }},
		{r.apply, func(db string) (sample, error) { return b.apply(c.Port(), db, set) }},
	}
	for round := 0; round < cfg.rounds; round++ {
		for k := range cases {
			cs := cases[(k+round)%len(cases)]
			progress("round %d/%d: %s", round+1, cfg.rounds, cs.s.name)
			if err := b.freshDB("bench"); err != nil {
				return err
			}
			x, err := cs.run("bench")
			if err != nil {
				return err
			}
			cs.s.add(x)
			if cs.s != r.apply {
				continue
			}
			if err := b.checkApplied("bench", n); err != nil {
				return err
			}
			// No-op rerun and psql select 1, alternating which goes first.
			pair := []func() error{
				func() error {
					x, err := b.apply(c.Port(), "bench", set)
					r.noop.add(x)
					return err
				},
				func() error {
					x, err := b.psqlRun(c.Port(), "bench", "-c", "select 1")
					r.select1.add(x)
					return err
				},
			}
			if round%2 == 1 {
				pair[0], pair[1] = pair[1], pair[0]
			}
			for _, f := range pair {
				if err := f(); err != nil {
					return err
				}
			}
		}
	}
	return b.srv.DropDatabase(b.ctx, "bench")
}

// bigSet measures applying the large set and its no-op rerun.
func (b *bench) bigSet(r *report, cfg config, set, perFile string) error {
	c := b.c
	n := cfg.bigN
	r.bigApply = &series{name: fmt.Sprintf("pgmig apply, %d files, from empty", n)}
	r.bigNoop = &series{name: fmt.Sprintf("pgmig apply, %d applied (no-op)", n)}
	r.bigSelect1 = &series{name: "psql -c 'select 1' (same rounds)"}
	if cfg.bigPsql {
		r.bigPsqlPerFile = &series{name: fmt.Sprintf("psql, %d files, one transaction per file", n)}
		for round := 0; round < cfg.bigRounds; round++ {
			progress("large set round %d/%d: %s", round+1, cfg.bigRounds, r.bigPsqlPerFile.name)
			if err := b.freshDB("bench_big"); err != nil {
				return err
			}
			x, err := b.psqlRun(c.Port(), "bench_big", "-f", perFile)
			if err != nil {
				return err
			}
			r.bigPsqlPerFile.add(x)
		}
	}
	for round := 0; round < cfg.bigRounds; round++ {
		progress("large set round %d/%d: %s", round+1, cfg.bigRounds, r.bigApply.name)
		if err := b.freshDB("bench_big"); err != nil {
			return err
		}
		x, err := b.apply(c.Port(), "bench_big", set)
		if err != nil {
			return err
		}
		r.bigApply.add(x)
	}
	if err := b.checkApplied("bench_big", n); err != nil {
		return err
	}
	progress("large set: %d no-op reruns", cfg.rounds)
	for round := 0; round < cfg.rounds; round++ {
		x, err := b.apply(c.Port(), "bench_big", set)
		if err != nil {
			return err
		}
		r.bigNoop.add(x)
		if x, err = b.psqlRun(c.Port(), "bench_big", "-c", "select 1"); err != nil {
			return err
		}
		r.bigSelect1.add(x)
	}
	return b.srv.DropDatabase(b.ctx, "bench_big")
}

// bigFile measures applying one large migration file, with psql -1 -f as a
// reference.
func (b *bench) bigFile(r *report, dir string, size int64) error {
	c := b.c
	r.bigFileSize = size
	r.bigFileApply = &series{name: fmt.Sprintf("pgmig apply, one %.0f MiB file", float64(size)/(1<<20))}
	r.bigFilePsql = &series{name: fmt.Sprintf("psql -1 -f, the same %.0f MiB file", float64(size)/(1<<20))}
	progress("large file: %s", r.bigFileApply.name)
	if err := b.freshDB("bench_file"); err != nil {
		return err
	}
	x, err := b.apply(c.Port(), "bench_file", dir)
	if err != nil {
		return err
	}
	r.bigFileApply.add(x)
	if err := b.checkApplied("bench_file", 1); err != nil {
		return err
	}
	progress("large file: %s", r.bigFilePsql.name)
	if err := b.freshDB("bench_file"); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		return fmt.Errorf("large file folder %s: %v", dir, err)
	}
	if x, err = b.psqlRun(c.Port(), "bench_file", "-1", "-f", filepath.Join(dir, entries[0].Name())); err != nil {
		return err
	}
	r.bigFilePsql.add(x)
	return b.srv.DropDatabase(b.ctx, "bench_file")
}

// latency applies the latency set through a proxy that adds cfg.delay to
// every round trip, and without delay through the same proxy; --to 1 runs
// give the fixed cost of a run, so that the difference is the cost of the
// other migrations.
func (b *bench) latency(r *report, cfg config, set, perFile string) error {
	c := b.c
	if err := probeNetem(); err != nil {
		r.netem = "netem unavailable (" + err.Error() + "); using a user-space delaying TCP proxy on 127.0.0.1 instead"
	} else {
		r.netem = "netem is available, but this driver uses its user-space delaying TCP proxy on 127.0.0.1 (same effect, plus exact round-trip counts)"
	}
	p, err := newDelayProxy(fmt.Sprintf("127.0.0.1:%d", c.Port()))
	if err != nil {
		return err
	}
	defer p.close()
	n := cfg.latencyN
	r.latN, r.delay = n, cfg.delay
	mk := func(what string, d time.Duration) *series {
		return &series{name: fmt.Sprintf("%s, +%s per round trip", what, d)}
	}
	r.latFull = [2]*series{mk(fmt.Sprintf("pgmig apply, %d files", n), cfg.delay), mk(fmt.Sprintf("pgmig apply, %d files", n), 0)}
	r.latOne = [2]*series{mk("pgmig apply --to 1", cfg.delay), mk("pgmig apply --to 1", 0)}
	r.latPsql = [2]*series{mk(fmt.Sprintf("psql, %d files, one transaction per file", n), cfg.delay), mk(fmt.Sprintf("psql, %d files, one transaction per file", n), 0)}
	for round := 0; round < cfg.rounds; round++ {
		progress("latency round %d/%d", round+1, cfg.rounds)
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			d := [2]time.Duration{cfg.delay, 0}[k]
			for _, cs := range []struct {
				s   *series
				run func() (sample, error)
			}{
				{r.latFull[k], func() (sample, error) { return b.apply(p.port(), "bench_lat", set) }},
				{r.latOne[k], func() (sample, error) { return b.apply(p.port(), "bench_lat", set, "--to", "1") }},
				{r.latPsql[k], func() (sample, error) { return b.psqlRun(p.port(), "bench_lat", "-f", perFile) }},
			} {
				if err := b.freshDB("bench_lat"); err != nil {
					return err
				}
				p.reset(d)
				x, err := cs.run()
				if err != nil {
					return err
				}
				x.trips, x.added = p.stats()
				cs.s.add(x)
			}
		}
	}
	return b.srv.DropDatabase(b.ctx, "bench_lat")
}

// report collects every series and prints the tables.
type report struct {
	cfg    config
	header string

	psqlPerFile, psqlOneTx, apply, noop, select1  *series
	bigApply, bigNoop, bigSelect1, bigPsqlPerFile *series
	bigFileApply, bigFilePsql                     *series
	bigFileSize                                   int64

	netem                    string
	latN                     int
	delay                    time.Duration
	latFull, latOne, latPsql [2]*series // [0] with delay, [1] without
}

func (r *report) print(w0 *os.File) {
	fmt.Fprintln(w0)
	fmt.Fprintln(w0, r.header)
	fmt.Fprintln(w0)
	w := tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
	base := r.psqlPerFile.median()
	fmt.Fprintln(w, "case\truns\tmedian\tmin – max\tratio to baseline\tpeak RSS (median / max)")
	for _, s := range []*series{r.psqlPerFile, r.psqlOneTx, r.apply, r.noop, r.select1,
		r.bigPsqlPerFile, r.bigApply, r.bigNoop, r.bigSelect1, r.bigFileApply, r.bigFilePsql} {
		if s == nil || len(s.samples) == 0 {
			continue
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.3f×", float64(s.median())/float64(base))
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s / %s\n", s.name, len(s.samples), fmtDur(s.median()), s.rng(),
			ratio, mib(s.medianRSS()), mib(s.maxRSS()))
	}
	w.Flush()

	var latPerMig float64
	var tripsPerMig float64
	latOK := false
	if r.latFull[0] != nil && len(r.latFull[0].samples) > 0 {
		fmt.Fprintln(w0)
		fmt.Fprintln(w0, "latency:", r.netem)
		w = tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "case\truns\tmedian\tmin – max\tround trips\tmean delay added per round trip")
		for _, pair := range [][2]*series{r.latFull, r.latOne, r.latPsql} {
			for _, s := range pair {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%s\n", s.name, len(s.samples), fmtDur(s.median()), s.rng(),
					s.samples[0].trips, fmtAdded(s))
			}
		}
		w.Flush()
		extraFull := r.latFull[0].median() - r.latFull[1].median()
		extraOne := r.latOne[0].median() - r.latOne[1].median()
		added := meanAdded(r.latFull[0])
		others := r.latN - 1
		tripsPerMig = float64(r.latFull[0].samples[0].trips-r.latOne[0].samples[0].trips) / float64(others)
		// What one round trip really costs with the delay, wake-ups included:
		// psql's extra time divided by its round trips.
		psqlTrips := r.latPsql[0].samples[0].trips
		perTrip := float64(r.latPsql[0].median()-r.latPsql[1].median()) / float64(psqlTrips)
		latPerMig = float64(extraFull-extraOne) / float64(others) / perTrip
		fmt.Fprintf(w0, "delay cost of applying %d files: %s (vs %d × %s = %s); of the run with --to 1: %s; the proxy held each reply %.3f ms on average\n",
			r.latN, fmtDur(extraFull), r.latN, r.delay, fmtDur(time.Duration(r.latN)*r.delay), fmtDur(extraOne), float64(added)/1e6)
		fmt.Fprintf(w0, "psql: %d round trips cost %s more, %.3f ms per round trip (delay plus wake-ups)\n",
			psqlTrips, fmtDur(r.latPsql[0].median()-r.latPsql[1].median()), perTrip/1e6)
		fmt.Fprintf(w0, "each of the other %d migrations of pgmig: %.2f round trips by count, %.3f ms by time = %.2f psql round trips\n",
			others, tripsPerMig, float64(extraFull-extraOne)/float64(others)/1e6, latPerMig)
		latOK = tripsPerMig <= 1.0
	}

	fmt.Fprintln(w0)
	w = tabwriter.NewWriter(w0, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "target\tmeasured\tverdict")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	if r.apply != nil {
		ratio := float64(r.apply.median()) / float64(base)
		fmt.Fprintf(w, "apply %d ≤ 0.85 × psql per-file transactions\t%.3f× (%s vs %s)\t%s\n", r.cfg.n, ratio,
			fmtDur(r.apply.median()), fmtDur(base), verdict(ratio <= 0.85))
		fmt.Fprintf(w, "no-op with %d applied ≤ psql -c 'select 1'\t%s vs %s (%.2f×)\t%s\n", r.cfg.n,
			fmtDur(r.noop.median()), fmtDur(r.select1.median()), float64(r.noop.median())/float64(r.select1.median()),
			verdict(r.noop.median() <= r.select1.median()))
	}
	if r.bigNoop != nil && r.noop != nil {
		q := float64(r.bigNoop.median()) / float64(r.noop.median())
		fmt.Fprintf(w, "no-op %d < 3 × no-op %d\t%.2f× (%s vs %s)\t%s\n", r.cfg.bigN, r.cfg.n, q,
			fmtDur(r.bigNoop.median()), fmtDur(r.noop.median()), verdict(q < 3))
	}
	if r.bigNoop != nil {
		rss := r.bigNoop.maxRSS()
		fmt.Fprintf(w, "peak RSS, no-op %d < 20 MiB\t%s (max of %d runs)\t%s\n", r.cfg.bigN, mib(rss), len(r.bigNoop.samples), verdict(rss < 20<<10))
	}
	if r.bigFileApply != nil {
		rss := r.bigFileApply.maxRSS()
		fmt.Fprintf(w, "peak RSS, one %.0f MiB file < 300 MiB\t%s\t%s\n", float64(r.bigFileSize)/(1<<20), mib(rss), verdict(rss < 300<<10))
	}
	if r.latFull[0] != nil {
		fmt.Fprintf(w, "latency ≤ 1 round trip per migration (by count)\t%.2f by count (%.2f by time)\t%s\n", tripsPerMig, latPerMig, verdict(latOK))
	}
	w.Flush()
}

func meanAdded(s *series) time.Duration {
	var sum time.Duration
	for _, x := range s.samples {
		sum += x.added
	}
	return sum / time.Duration(len(s.samples))
}

func fmtAdded(s *series) string {
	a := meanAdded(s)
	return fmt.Sprintf("%.3f ms", float64(a)/1e6)
}
