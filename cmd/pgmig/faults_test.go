package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// Fault-injection tests: pgmig is run as a real process against a real
// PostgreSQL and disturbed at random moments (SIGKILL of pgmig, termination
// of its server backend, an immediate shutdown of the server, 32 concurrent
// runs, a held lock). After every fault the database must satisfy the
// invariant of checkInvariant, and a plain rerun must finish the job. The
// three faults at random moments are values of type fault (sigkill,
// terminateBackend, immediateShutdown) run by one driver, injectFaults.
//
// The random moments come from a seed that is logged; set
// PGMIG_FAULT_SEED to replay a run.

const (
	setSize           = 200 // migrations in the generated set of the fault tests
	concurrentProcs   = 32  // concurrent pgmig processes per round
	concurrentRounds  = 3   // rounds of the concurrency test
	concurrentSetSize = 60  // migrations in the set of the concurrency test
	backendBound      = 30 * time.Second
)

// migrationSet is a generated folder of migrations whose effects can be checked:
// migration i creates table t_i holding 1..i and inserts i into applied_log
// (created by migration 1). Every 8th migration sleeps 50 ms; every 16th,
// from the 8th, is a disable-transaction file that also builds index t_i_v
// concurrently, written to be idempotent.
type migrationSet struct {
	dir   string
	n     int
	nontx map[int]bool
}

func writeSet(t *testing.T, n int) migrationSet {
	t.Helper()
	s := migrationSet{dir: t.TempDir(), n: n, nontx: map[int]bool{}}
	for i := 1; i <= n; i++ {
		var b strings.Builder
		if i%16 == 8 {
			s.nontx[i] = true
			fmt.Fprintf(&b, "-- pgmig disable-transaction\n")
			fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS t_%d (v int NOT NULL);\n", i)
			fmt.Fprintf(&b, "INSERT INTO t_%d SELECT g FROM generate_series(1, %d) g WHERE NOT EXISTS (SELECT FROM t_%d);\n", i, i, i)
			b.WriteString("SELECT pg_sleep(0.05);\n")
			// Not CREATE INDEX CONCURRENTLY IF NOT EXISTS: an interrupted
			// build leaves an invalid index that IF NOT EXISTS would keep.
			fmt.Fprintf(&b, "DROP INDEX CONCURRENTLY IF EXISTS t_%d_v;\n", i)
			fmt.Fprintf(&b, "CREATE INDEX CONCURRENTLY t_%d_v ON t_%d (v);\n", i, i)
			fmt.Fprintf(&b, "INSERT INTO applied_log VALUES (%d);\n", i)
		} else {
			if i == 1 {
				b.WriteString("CREATE TABLE applied_log (id int NOT NULL);\n")
			}
			fmt.Fprintf(&b, "CREATE TABLE t_%d (v int NOT NULL);\n", i)
			fmt.Fprintf(&b, "INSERT INTO t_%d SELECT generate_series(1, %d);\n", i, i)
			fmt.Fprintf(&b, "INSERT INTO applied_log VALUES (%d);\n", i)
			if i%8 == 0 {
				b.WriteString("SELECT pg_sleep(0.05);\n")
			}
		}
		name := fmt.Sprintf("%04d_m%d.sql", i, i)
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// setState is what a database holds of a migration set.
type setState struct {
	tracking bool            // the tracking table exists
	ids      []int           // tracking rows in id order, row 0 included
	names    map[int]string  // tracking row names
	times    []time.Time     // executed_at in id order
	tables   map[int][2]int  // t_i: count(*), sum(v)
	indexes  map[int]bool    // t_i_v: indisvalid
	log      map[int]int     // applied_log rows per id
	logTable bool            // applied_log exists
	extra    map[string]bool // unexpected t_* relations
}

func readState(db *sql.DB) (setState, error) {
	st := setState{names: map[int]string{}, tables: map[int][2]int{}, indexes: map[int]bool{}, log: map[int]int{}, extra: map[string]bool{}}
	var reg sql.NullString
	if err := db.QueryRow("SELECT to_regclass('migrations')::text").Scan(&reg); err != nil {
		return st, fmt.Errorf("look up tracking table: %w", err)
	}
	if st.tracking = reg.Valid; st.tracking {
		rows, err := db.Query("SELECT id, name, executed_at FROM migrations ORDER BY id")
		if err != nil {
			return st, fmt.Errorf("read tracking table: %w", err)
		}
		for rows.Next() {
			var id int
			var name string
			var at time.Time
			if err := rows.Scan(&id, &name, &at); err != nil {
				rows.Close()
				return st, err
			}
			st.ids = append(st.ids, id)
			st.names[id] = name
			st.times = append(st.times, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, err
		}
	}
	// Every t_i with its row count and sum, in one round trip.
	rows, err := db.Query(`
SELECT c.relname,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text::int,
       (xpath('/row/s/text()', query_to_xml(format('SELECT coalesce(sum(v), 0) AS s FROM %I', c.relname), false, true, '')))[1]::text::int
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname ~ '^t_[0-9]+$'`)
	if err != nil {
		return st, fmt.Errorf("read tables: %w", err)
	}
	for rows.Next() {
		var name string
		var count, sum int
		if err := rows.Scan(&name, &count, &sum); err != nil {
			rows.Close()
			return st, err
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(name, "t_"))
		st.tables[i] = [2]int{count, sum}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows, err = db.Query(`
SELECT c.relname, i.indisvalid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relname LIKE 't\_%'`)
	if err != nil {
		return st, fmt.Errorf("read indexes: %w", err)
	}
	for rows.Next() {
		var name string
		var valid bool
		if err := rows.Scan(&name, &valid); err != nil {
			rows.Close()
			return st, err
		}
		num, ok := strings.CutSuffix(strings.TrimPrefix(name, "t_"), "_v")
		i, err := strconv.Atoi(num)
		if !ok || err != nil {
			st.extra[name] = true
			continue
		}
		st.indexes[i] = valid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	if err := db.QueryRow("SELECT to_regclass('applied_log') IS NOT NULL").Scan(&st.logTable); err != nil {
		return st, err
	}
	if st.logTable {
		rows, err := db.Query("SELECT id, count(*) FROM applied_log GROUP BY id")
		if err != nil {
			return st, fmt.Errorf("read applied_log: %w", err)
		}
		for rows.Next() {
			var id, n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return st, err
			}
			st.log[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// recorded returns the highest recorded migration id (0 when none).
func (st setState) recorded() int {
	if len(st.ids) == 0 {
		return 0
	}
	return st.ids[len(st.ids)-1]
}

// invariant lists the violations of the invariant in st:
//   - the tracking rows are 0..k in order, each with its name, executed_at
//     never decreasing (recorded once each, in order);
//   - every recorded migration has all of its effects (table t_i with
//     1..i, a valid index for disable-transaction files, its applied_log
//     row: exactly one for transactional files, at least one for
//     disable-transaction files, which a rerun repeats);
//   - no unrecorded transactional migration has any effect, and of the
//     disable-transaction files only k+1 (the one that was running) may
//     have partial effects;
//   - with complete, k is the last migration; with strictLog, every
//     migration's applied_log row exists exactly once.
func invariant(st setState, set migrationSet, complete, strictLog bool) []string {
	var bad []string
	badf := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if st.tracking {
		for pos, id := range st.ids {
			if id != pos {
				badf("tracking rows are %v, not 0..k in order", st.ids)
				break
			}
			if want := "m" + strconv.Itoa(id); id > 0 && st.names[id] != want {
				badf("tracking row %d is named %q, want %q", id, st.names[id], want)
			}
			if pos > 0 && st.times[pos].Before(st.times[pos-1]) {
				badf("tracking row %d executed_at %s is before row %d's %s", id, st.times[pos], id-1, st.times[pos-1])
			}
		}
		if len(st.ids) == 0 || st.names[0] != "create-migrations-table" {
			badf("tracking table without its row 0")
		}
	}
	k := st.recorded()
	if complete && k != set.n {
		badf("%d of %d migrations recorded after a successful run", k, set.n)
	}
	for i := 1; i <= set.n; i++ {
		tab, hasTab := st.tables[i]
		valid, hasIdx := st.indexes[i]
		logs := st.log[i]
		switch {
		case i <= k:
			want := [2]int{i, i * (i + 1) / 2}
			if !hasTab || tab != want {
				badf("migration %d is recorded but t_%d is %v (exists %v), want count,sum %v", i, i, tab, hasTab, want)
			}
			if set.nontx[i] && (!hasIdx || !valid) {
				badf("migration %d is recorded but index t_%d_v exists %v, valid %v", i, i, hasIdx, valid)
			}
			if logs == 0 || (logs > 1 && (strictLog || !set.nontx[i])) {
				badf("migration %d is recorded with %d applied_log rows", i, logs)
			}
		case set.nontx[i] && i == k+1:
			// Partial effects are legitimate; each statement is still atomic.
			if hasTab && tab != [2]int{0, 0} && tab != [2]int{i, i * (i + 1) / 2} {
				badf("unrecorded disable-transaction migration %d left t_%d with count,sum %v", i, i, tab)
			}
		default:
			if hasTab || hasIdx || logs > 0 {
				badf("migration %d is not recorded (last recorded: %d) but has effects: table %v, index %v, %d applied_log rows", i, k, hasTab, hasIdx, logs)
			}
		}
	}
	for id, n := range st.log {
		if id < 1 || id > set.n {
			badf("applied_log holds %d rows of unknown id %d", n, id)
		}
	}
	for name := range st.extra {
		badf("unexpected relation %s", name)
	}
	slices.Sort(bad)
	return bad
}

// checkInvariant fails the test when the database breaks the
// invariant or the migration lock is still held by a session of it.
func checkInvariant(t *testing.T, db *sql.DB, set migrationSet, when string, complete, strictLog bool) setState {
	t.Helper()
	st, err := readState(db)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if bad := invariant(st, set, complete, strictLog); len(bad) > 0 {
		t.Fatalf("%s: invariant broken:\n  %s", when, strings.Join(bad, "\n  "))
	}
	if n := lockHolders(t, db); n != 0 {
		t.Fatalf("%s: the migration lock is held by %d session(s) although no pgmig runs", when, n)
	}
	return st
}

// waitBackendsGone waits until no session of pgmig is left in the
// database of db: after a SIGKILL the backend finishes its statement (and
// may commit) before it notices that its client is gone.
func waitBackendsGone(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(backendBound)
	for {
		var n int
		err := db.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgmig'").Scan(&n)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgmig's server sessions still there %s after pgmig exited (%d left, %v)", backendBound, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// applyAll runs pgmig apply to completion and fails the test unless it
// exits 0; it returns how long the run took.
func applyAll(t *testing.T, dsn string, set migrationSet, what string) time.Duration {
	t.Helper()
	start := time.Now()
	p := startPgmig(t, "--url", dsn, "--log-format", "json", "apply", set.dir)
	if code := p.wait(t); code != 0 {
		t.Fatalf("%s: pgmig apply exited %d, want 0\nstderr:\n%s", what, code, p.stderr.String())
	}
	return time.Since(start)
}

// seededRand returns the random source of the fault moments, logging its
// seed; PGMIG_FAULT_SEED replays one.
func seededRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PGMIG_FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("PGMIG_FAULT_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("fault seed %d (set PGMIG_FAULT_SEED to replay)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// randomDelay returns a delay in [0, span): a third of them in the first
// 5% of span, to hit the lock and the tracking table's creation more often.
func randomDelay(r *rand.Rand, span time.Duration) time.Duration {
	if r.IntN(3) == 0 {
		return time.Duration(r.Int64N(int64(span)/20 + 1))
	}
	return time.Duration(r.Int64N(int64(span)))
}

// TestFaults injects faults into pgmig runs; see the comment at the top of
// this file.
func TestFaults(t *testing.T) {
	migratortest.Shared(t) // skip (or fail under CI) without PostgreSQL
	pgmigBinary(t)         // built before any run is timed
	set := writeSet(t, setSize)
	r := seededRand(t)

	// A clean run: the baseline of the invariant, and the length of a run,
	// which spreads the random fault moments.
	runTime := 2 * time.Second // when -run leaves CleanRun out
	ok := t.Run("CleanRun", func(t *testing.T) {
		d := migratortest.NewDatabase(t)
		runTime = applyAll(t, d.DSN, set, "clean run")
		checkInvariant(t, d.DB, set, "after a clean run", true, true)
		applyAll(t, d.DSN, set, "second run")
		checkInvariant(t, d.DB, set, "after a second run", true, true)
		t.Logf("%d migrations applied in %s", set.n, runTime.Round(time.Millisecond))
	})
	if !ok {
		t.Fatal("the clean run failed; not injecting faults")
	}

	t.Run("SIGKILL", func(t *testing.T) { injectFaults(t, sigkill, set, r, runTime) })
	t.Run("TerminateBackend", func(t *testing.T) { injectFaults(t, terminateBackend, set, r, runTime) })
	t.Run("ImmediateShutdown", func(t *testing.T) {
		f, runTime := immediateShutdown(t, set)
		injectFaults(t, f, set, r, runTime)
	})
	t.Run("Concurrent", testConcurrent)
	t.Run("LockWait", testLockWait)
}

// fault is one way of disturbing a running pgmig apply, for injectFaults.
type fault struct {
	name        string // in messages: "SIGKILL", "pg_terminate_backend", ...
	rounds      int    // fresh databases
	perDatabase int    // faults per database before the plain rerun
	database    func(testing.TB) *migratortest.Database
	// inject lets p run for delay (or until it exits), then disturbs it; it
	// reports whether the fault hit p while p was running.
	inject func(t *testing.T, p *proc, d *migratortest.Database, delay time.Duration) bool
	// settle runs once p has exited and returns the handle to check the
	// database through.
	settle func(t *testing.T, d *migratortest.Database) *sql.DB
	// misreported lists what is wrong with pgmig's exit code and error
	// line after a hit.
	misreported func(code int, errLine string) []string
}

// injectFaults runs pgmig apply on fresh databases and disturbs each run
// with f at a random moment within runTime. After every run the database
// must satisfy the invariant (a run that exited 0 must have applied
// everything), a run that exited otherwise must have been hit and must
// report the hit as f expects, and after the faults of a database a plain
// rerun must apply everything.
func injectFaults(t *testing.T, f fault, set migrationSet, r *rand.Rand, runTime time.Duration) {
	hits, finished, lost := 0, 0, 0
	codes := map[int]int{}
	var progress []int
	var messages, misreports []string
	for round := range f.rounds {
		d := f.database(t)
		db := d.DB
		for range f.perDatabase {
			delay := randomDelay(r, runTime)
			p := startPgmig(t, "--url", d.DSN, "--log-format", "json", "apply", set.dir)
			hit := f.inject(t, p, d, delay)
			code := p.wait(t)
			db = f.settle(t, d)
			when := fmt.Sprintf("round %d, after %s at %s", round, f.name, delay.Round(time.Millisecond))
			if code == 0 {
				// pgmig finished before the fault, or the fault came after
				// its last commit: everything must be applied.
				finished++
				checkInvariant(t, db, set, when, true, false)
				break
			}
			if !hit {
				t.Fatalf("%s: pgmig exited %d without being disturbed\nstderr:\n%s", when, code, p.stderr.String())
			}
			hits++
			codes[code]++
			msg := errorLine(p.stderr.String())
			messages = append(messages, fmt.Sprintf("exit %d: %s", code, msg))
			misreports = append(misreports, f.misreported(code, msg)...)
			st := checkInvariant(t, db, set, when, false, false)
			progress = append(progress, st.recorded())
			// Commits are asynchronous but for the last of a run: a crash
			// may take a suffix of what pgmig reported applied (by design).
			lost += max(0, strings.Count(p.stderr.String(), `"message":"applied migration"`)-st.recorded())
		}
		applyAll(t, d.DSN, set, fmt.Sprintf("round %d, rerun", round))
		checkInvariant(t, db, set, fmt.Sprintf("round %d, after the rerun", round), true, false)
	}
	slices.Sort(progress)
	t.Logf("%d runs hit by %s (%d runs finished first) over %d databases; exit codes %v; migrations recorded after a hit: %v; reported applied but not recorded: %d",
		hits, f.name, finished, f.rounds, codes, progress, lost)
	for _, m := range countDistinct(messages) {
		t.Logf("  %s", m)
	}
	if hits == 0 {
		t.Fatalf("no %s hit a running pgmig", f.name)
	}
	// After all other checks: invariant violations stopped the test before.
	if len(misreports) > 0 {
		t.Errorf("pgmig reported %s wrongly:\n  %s", f.name, strings.Join(countDistinct(misreports), "\n  "))
	}
}

// sigkill kills pgmig with SIGKILL, several times per database.
var sigkill = fault{
	name: "SIGKILL", rounds: 8, perDatabase: 3, database: migratortest.NewDatabase,
	inject: func(t *testing.T, p *proc, _ *migratortest.Database, delay time.Duration) bool {
		if p.sleepOrExit(delay) {
			return false
		}
		_ = p.cmd.Process.Kill()
		return true
	},
	settle: backendsGone,
	misreported: func(code int, msg string) []string {
		if code != -1 { // it ended on its own between the check and the kill
			return []string{fmt.Sprintf("exit %d, want death by SIGKILL: %s", code, msg)}
		}
		return nil
	},
}

// terminateBackend ends pgmig's server sessions with pg_terminate_backend.
var terminateBackend = fault{
	name: "pg_terminate_backend", rounds: 10, perDatabase: 1, database: migratortest.NewDatabase,
	inject: func(t *testing.T, p *proc, d *migratortest.Database, delay time.Duration) bool {
		p.sleepOrExit(delay)
		for !p.exited() {
			var terminated int
			err := d.DB.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'pgmig'`).Scan(&terminated)
			if err != nil {
				t.Fatalf("pg_terminate_backend: %v", err)
			}
			if terminated > 0 {
				return true
			}
			time.Sleep(time.Millisecond) // pgmig has not connected yet
		}
		return false
	},
	settle:      backendsGone,
	misreported: lostConnectionMisreports,
}

// backendsGone is the settle of faults that leave the server running.
func backendsGone(t *testing.T, d *migratortest.Database) *sql.DB {
	waitBackendsGone(t, d.DB)
	return d.DB
}

// immediateShutdown returns the fault that stops a private durable cluster
// with an immediate shutdown and starts it again (crash recovery), and how
// long a clean run takes on that cluster.
func immediateShutdown(t *testing.T, set migrationSet) (fault, time.Duration) {
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{Durable: true})
	srv := c.Server(t)
	// The run takes longer on a durable cluster: measure it.
	base := srv.NewDatabase(t)
	runTime := applyAll(t, base.DSN, set, "clean run on the durable cluster")
	checkInvariant(t, base.DB, set, "clean run on the durable cluster", true, true)
	t.Logf("%d migrations applied in %s on the durable cluster", set.n, runTime.Round(time.Millisecond))
	return fault{
		name: "immediate shutdown", rounds: 6, perDatabase: 1, database: srv.NewDatabase,
		inject: func(t *testing.T, p *proc, _ *migratortest.Database, delay time.Duration) bool {
			early := p.sleepOrExit(delay)
			if err := c.Stop("immediate"); err != nil {
				t.Fatal(err)
			}
			return !early
		},
		settle: func(t *testing.T, d *migratortest.Database) *sql.DB {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("postgres", c.DSN(d.Name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		misreported: lostConnectionMisreports,
	}, runTime
}

// lostConnectionMisreports checks how pgmig reports a connection that the
// server ended under it: exit 7 (connection), and an error that says the
// connection was lost rather than a bare driver or socket error.
func lostConnectionMisreports(code int, msg string) []string {
	var bad []string
	if code != exitConnect {
		bad = append(bad, fmt.Sprintf("exit %d, want %d: %s", code, exitConnect, msg))
	}
	clear := false
	for _, s := range []string{"lost the connection", "cannot connect to the database"} {
		clear = clear || strings.Contains(msg, s)
	}
	if !clear {
		bad = append(bad, "the error does not say that the connection to the database was lost: "+msg)
	}
	return bad
}

// testConcurrent starts 32 pgmig processes at once on one database:
// all succeed and every migration runs exactly once.
func testConcurrent(t *testing.T) {
	set := writeSet(t, concurrentSetSize)
	for round := range concurrentRounds {
		d := migratortest.NewDatabase(t)
		start := time.Now()
		procs := make([]*proc, concurrentProcs)
		for i := range procs {
			procs[i] = startPgmig(t, "--url", d.DSN, "--log-format", "json", "apply", "--json", set.dir)
		}
		applied, appliers := 0, 0
		for i, p := range procs {
			if code := p.wait(t); code != 0 {
				t.Fatalf("round %d: process %d exited %d, want 0\nstderr:\n%s", round, i, code, p.stderr.String())
			}
			var rep struct {
				OK      bool              `json:"ok"`
				Applied []json.RawMessage `json:"applied"`
			}
			if err := json.Unmarshal(p.stdout.Bytes(), &rep); err != nil || !rep.OK {
				t.Fatalf("round %d: process %d: report %q (%v)", round, i, p.stdout.String(), err)
			}
			applied += len(rep.Applied)
			if len(rep.Applied) > 0 {
				appliers++
			}
		}
		took := time.Since(start)
		checkInvariant(t, d.DB, set, fmt.Sprintf("round %d, after %d concurrent runs", round, concurrentProcs), true, true)
		if applied != set.n {
			t.Fatalf("round %d: the processes report %d applied migrations in total, want %d", round, applied, set.n)
		}
		t.Logf("round %d: %d processes, %d of them applied migrations, all exited 0 in %s", round, concurrentProcs, appliers, took.Round(time.Millisecond))
	}
}

// testLockWait holds the migration lock in a session of the test while
// pgmig apply --lock-wait 2s runs: pgmig gives up with exit 6 soon after
// the bound, having changed nothing.
func testLockWait(t *testing.T) {
	set := writeSet(t, 3)
	d := migratortest.NewDatabase(t)
	holder := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	start := time.Now()
	p := startPgmig(t, "--url", d.DSN, "--log-format", "json", "apply", "--lock-wait", "2s", set.dir)
	code := p.wait(t)
	took := time.Since(start)
	stderr := p.stderr.String()
	if code != exitLockTimeout {
		t.Fatalf("pgmig exited %d, want %d\nstderr:\n%s", code, exitLockTimeout, stderr)
	}
	if took < 2*time.Second || took > 6*time.Second {
		t.Errorf("pgmig gave up after %s, want between 2s and 6s", took)
	}
	for _, want := range []string{"timed out waiting for the migration lock", fmt.Sprintf("held by pid %d", holder.PID), "waiting for the migration lock held by another session"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	waitBackendsGone(t, d.DB)
	if n := lockHolders(t, d.DB); n != 1 {
		t.Errorf("%d sessions hold the migration lock, want 1 (the test's)", n)
	}
	st, err := readState(d.DB)
	if err != nil {
		t.Fatal(err)
	}
	if st.tracking || len(st.tables) > 0 {
		t.Errorf("pgmig changed the database without the lock: tracking table %v, %d tables", st.tracking, len(st.tables))
	}
	if err := holder.Release(); err != nil {
		t.Fatalf("release the test's lock: %v", err)
	}
	applyAll(t, d.DSN, set, "run after the lock was released")
	checkInvariant(t, d.DB, set, "after the run", true, true)
	t.Logf("pgmig --lock-wait 2s exited %d after %s", code, took.Round(time.Millisecond))
}

// errorLine returns the "pgmig: error:" line of stderr.
func errorLine(stderr string) string {
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "pgmig: error:") {
			return strings.TrimSpace(line)
		}
	}
	return "(no error line)"
}

// countDistinct returns the distinct strings of s with their counts.
func countDistinct(s []string) []string {
	counts := map[string]int{}
	for _, m := range s {
		counts[m]++
	}
	var out []string
	for m, n := range counts {
		out = append(out, fmt.Sprintf("%dx %s", n, m))
	}
	slices.Sort(out)
	return out
}

// TestFaultInvariantCatchesViolations shows that the invariant check of the
// fault tests fails on each kind of violation it is meant to catch.
func TestFaultInvariantCatchesViolations(t *testing.T) {
	set := migrationSet{n: 20, nontx: map[int]bool{8: true, 16: true}}
	// state returns the state after migrations 1..k, with every effect.
	state := func(k int) setState {
		st := setState{tracking: true, names: map[int]string{0: "create-migrations-table"}, tables: map[int][2]int{},
			indexes: map[int]bool{}, log: map[int]int{}, logTable: true, extra: map[string]bool{}}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		st.ids, st.times = []int{0}, []time.Time{at}
		for i := 1; i <= k; i++ {
			st.ids = append(st.ids, i)
			st.times = append(st.times, at.Add(time.Duration(i)*time.Second))
			st.names[i] = "m" + strconv.Itoa(i)
			st.tables[i] = [2]int{i, i * (i + 1) / 2}
			st.log[i] = 1
			if set.nontx[i] {
				st.indexes[i] = true
			}
		}
		return st
	}
	if bad := invariant(state(20), set, true, true); len(bad) > 0 {
		t.Fatalf("a complete state breaks the invariant: %v", bad)
	}
	if bad := invariant(state(5), set, false, true); len(bad) > 0 {
		t.Fatalf("a consistent prefix breaks the invariant: %v", bad)
	}
	partial := state(7)
	partial.tables[8] = [2]int{8, 36} // disable-transaction 8 ran halfway
	partial.log[8] = 1
	if bad := invariant(partial, set, false, false); len(bad) > 0 {
		t.Fatalf("partial effects of the running disable-transaction migration break the invariant: %v", bad)
	}
	rerun := state(20)
	rerun.log[8] = 2 // run twice, recorded once
	if bad := invariant(rerun, set, true, false); len(bad) > 0 {
		t.Fatalf("a repeated disable-transaction migration breaks the invariant: %v", bad)
	}
	violations := map[string]func() (setState, bool, bool){
		"incomplete after success": func() (setState, bool, bool) { return state(19), true, false },
		"recorded without table": func() (setState, bool, bool) {
			st := state(5)
			delete(st.tables, 3)
			return st, false, false
		},
		"recorded with partial rows": func() (setState, bool, bool) {
			st := state(5)
			st.tables[4] = [2]int{3, 6}
			return st, false, false
		},
		"recorded without log row": func() (setState, bool, bool) {
			st := state(5)
			delete(st.log, 2)
			return st, false, false
		},
		"transactional run twice": func() (setState, bool, bool) {
			st := state(5)
			st.log[3] = 2
			return st, false, false
		},
		"disable-transaction run twice under strictLog": func() (setState, bool, bool) {
			st := state(20)
			st.log[16] = 2
			return st, true, true
		},
		"recorded with invalid index": func() (setState, bool, bool) {
			st := state(10)
			st.indexes[8] = false
			return st, false, false
		},
		"effects without row": func() (setState, bool, bool) {
			st := state(5)
			st.tables[6] = [2]int{6, 21}
			return st, false, false
		},
		"log row without row": func() (setState, bool, bool) {
			st := state(5)
			st.log[6] = 1
			return st, false, false
		},
		"later disable-transaction effects": func() (setState, bool, bool) {
			st := state(5)
			st.tables[8] = [2]int{0, 0}
			return st, false, false
		},
		"gap in tracking rows": func() (setState, bool, bool) {
			st := state(5)
			st.ids = []int{0, 1, 2, 4, 5}
			return st, false, false
		},
		"wrong name": func() (setState, bool, bool) {
			st := state(5)
			st.names[2] = "m3"
			return st, false, false
		},
		"out of order": func() (setState, bool, bool) {
			st := state(5)
			st.times[3], st.times[4] = st.times[4], st.times[3]
			return st, false, false
		},
		"no row 0": func() (setState, bool, bool) {
			st := state(0)
			st.ids, st.times, st.names = nil, nil, map[int]string{}
			return st, false, false
		},
	}
	for name, build := range violations {
		st, complete, strict := build()
		if bad := invariant(st, set, complete, strict); len(bad) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
