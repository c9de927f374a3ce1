package migrator_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// reports collects the reports of WithMonitor.
type reports struct {
	mu   sync.Mutex
	list []migrator.MigrationReport
}

func (r *reports) add(mr migrator.MigrationReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, mr)
}

func (r *reports) all() []migrator.MigrationReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]migrator.MigrationReport(nil), r.list...)
}

// naming counts the reports that name pid as a blocker.
func (r *reports) naming(pid int) int {
	n := 0
	for _, mr := range r.all() {
		for _, b := range mr.Blockers {
			if b.PID == pid {
				n++
			}
		}
	}
	return n
}

// commitWhenReported commits once n reports named the blocker.
func (b *blocker) commitWhenReported(r *reports, n int) {
	go func() {
		deadline := time.Now().Add(time.Minute)
		for r.naming(b.pid) < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		b.commit()
	}()
}

func TestMonitorReportsTheBlocker(t *testing.T) {
	d, fsys, b := blockedTable(t)
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	var got reports
	b.commitWhenReported(&got, 2)
	res := mustApply(t, d.DB, fsys, migrator.WithMonitor(200*time.Millisecond, got.add))
	if len(res.Applied) != 1 {
		t.Fatalf("applied %v", appliedFiles(res))
	}
	if ids := ids(trackingRows(t, d.DB)); ids != "0,1,2" {
		t.Fatalf("tracking rows %s, want the migration recorded once", ids)
	}
	all := got.all()
	if len(all) < 2 {
		t.Fatalf("%d reports, want 2 or more", len(all))
	}
	r := all[0]
	if r.Migration.File != "2_add-column.sql" || r.Statement != 0 || r.Attempt != 1 || r.Elapsed < 200*time.Millisecond ||
		r.State != "active" || r.WaitEventType != "Lock" || r.WaitEvent != "relation" {
		t.Errorf("first report %+v", r)
	}
	if len(r.Blockers) != 1 || r.Blockers[0].PID != b.pid || r.Blockers[0].State != "idle in transaction" ||
		r.Blockers[0].Query != "SELECT * FROM t" || r.Blockers[0].TransactionFor <= 0 || r.Blockers[0].StateFor <= 0 {
		t.Errorf("blockers %+v, want pid %d idle in transaction", r.Blockers, b.pid)
	}
	if last := all[len(all)-1]; last.LockWait <= 0 || last.Elapsed <= r.Elapsed {
		t.Errorf("last report: lock wait %s, elapsed %s", last.LockWait, last.Elapsed)
	}
	w := res.Applied[0].Waits
	if w.Looks < 2 || w.LongestLockWait <= 0 || len(w.Blockers) != 1 || w.Blockers[0].PID != b.pid || len(w.Terminated) != 0 {
		t.Errorf("waits %+v", w)
	}
}

func TestMonitorLogsWithoutAFunctionAndHidesQueries(t *testing.T) {
	d, fsys, b := blockedTable(t)
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	var logs syncBuffer
	b.commitWhenLogged(&logs, `"blocker_pids":[`+strconv.Itoa(b.pid)+`]`)
	mustApply(t, d.DB, fsys, migrator.WithMonitor(200*time.Millisecond, nil), migrator.WithBlockerQueries(false),
		migrator.WithLogger(jsonLogger(&logs)))
	log := logs.String()
	for _, want := range []string{`"msg":"migration still running"`, `"file":"2_add-column.sql"`, `"wait_event_type":"Lock"`,
		"pid " + strconv.Itoa(b.pid), "idle in transaction"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "SELECT * FROM t") {
		t.Errorf("log shows the blocker's query:\n%s", log)
	}
}

func TestMonitorIsQuietForQuickMigrations(t *testing.T) {
	d := migratortest.NewDatabase(t)
	var got reports
	res := mustApply(t, d.DB, migratortest.GenerateMigrations(20), migrator.WithMonitor(5*time.Second, got.add),
		migrator.WithTerminateBlockers(time.Minute))
	if n := len(got.all()); n != 0 {
		t.Fatalf("%d reports for quick migrations", n)
	}
	for _, a := range res.Applied {
		if a.Waits.Looks != 0 {
			t.Fatalf("%s: %+v", a.File, a.Waits)
		}
	}
}

func TestTerminateBlockersEndsAnIdleOne(t *testing.T) {
	d, fsys, b := blockedTable(t)
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	var logs syncBuffer
	res := mustApply(t, d.DB, fsys, migrator.WithTerminateBlockers(300*time.Millisecond), migrator.WithLogger(jsonLogger(&logs)))
	w := res.Applied[0].Waits
	if len(w.Terminated) != 1 || w.Terminated[0].PID != b.pid || w.Terminated[0].State != "idle in transaction" ||
		w.Terminated[0].StateFor < 300*time.Millisecond {
		t.Fatalf("terminated %+v, want pid %d", w.Terminated, b.pid)
	}
	if !strings.Contains(logs.String(), "terminated a session that blocked the migration") || !strings.Contains(logs.String(), `"pid":`+strconv.Itoa(b.pid)) {
		t.Errorf("log:\n%s", logs.String())
	}
	if _, err := b.conn.ExecContext(context.Background(), "SELECT 1"); err == nil {
		t.Error("the blocker's session still works")
	}
}

func TestTerminateBlockersLeavesAnActiveOne(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := fstest.MapFS{"1_t.sql": file("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n")}
	mustApply(t, d.DB, fsys)
	b := block(t, d.DB, "SELECT * FROM t")
	sleepErr := make(chan error, 1)
	go func() {
		// Active for 2s while holding the lock, then commits at once.
		_, err := b.conn.ExecContext(context.Background(), "SELECT pg_sleep(2) FROM t")
		if err == nil {
			_, err = b.conn.ExecContext(context.Background(), "COMMIT")
		}
		sleepErr <- err
	}()
	time.Sleep(100 * time.Millisecond)
	fsys["2_add-column.sql"] = file("ALTER TABLE t ADD COLUMN note text;\n")
	var got reports
	res := mustApply(t, d.DB, fsys, migrator.WithTerminateBlockers(300*time.Millisecond), migrator.WithMonitor(200*time.Millisecond, got.add))
	if err := <-sleepErr; err != nil {
		t.Fatalf("the active blocker failed: %v", err)
	}
	w := res.Applied[0].Waits
	if len(w.Terminated) != 0 {
		t.Fatalf("terminated %+v", w.Terminated)
	}
	if len(w.Blockers) != 1 || w.Blockers[0].PID != b.pid || w.Blockers[0].State != "active" {
		t.Fatalf("blockers %+v, want pid %d active", w.Blockers, b.pid)
	}
	if got.naming(b.pid) == 0 {
		t.Fatal("no report named the blocker")
	}
}

// TestMonitorReportsProgress: a CREATE INDEX CONCURRENTLY and a VACUUM
// FULL (reported like CLUSTER) on a table of two million rows report
// PostgreSQL's progress, phase and done of total.
func TestMonitorReportsProgress(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec(`CREATE TABLE big AS SELECT (random() * 1e9)::int AS v FROM generate_series(1, 2000000);`); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"1_index.sql": file("-- pgmig disable-transaction\nSET maintenance_work_mem = '1MB';\n" +
		"CREATE INDEX CONCURRENTLY big_v ON big (v);\nVACUUM FULL big;\n")}
	var got reports
	mustApply(t, d.DB, fsys, migrator.WithMonitor(100*time.Millisecond, got.add))
	seen := map[string]migrator.Progress{} // command: a report with a count
	var phases []string
	for _, r := range got.all() {
		p := r.Progress
		if p == nil {
			continue
		}
		phases = append(phases, fmt.Sprintf("statement %d: %+v", r.Statement, *p))
		if p.Total > 0 && p.Done >= 0 && p.Done <= p.Total && p.Unit != "" {
			seen[p.Command] = *p
		}
		switch {
		case r.Statement == 2 && p.Command != "CREATE INDEX CONCURRENTLY", r.Statement == 3 && p.Command != "VACUUM FULL":
			t.Errorf("statement %d reported %+v", r.Statement, *p)
		}
	}
	for _, cmd := range []string{"CREATE INDEX CONCURRENTLY", "VACUUM FULL"} {
		if _, ok := seen[cmd]; !ok {
			t.Errorf("no progress with done/total for %s; reports:\n%s", cmd, strings.Join(phases, "\n"))
		}
	}
	t.Logf("progress seen: %+v", seen)
}
