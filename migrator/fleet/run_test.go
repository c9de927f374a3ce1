package fleet_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// Targets that fail in the middle of a fleet (a migration's SQL error, a
// database that cannot be reached, a file changed since it was applied)
// leave the others to complete; the results say which failed and why, and
// a rerun once the causes are fixed finishes the job.
func TestFailingTargetsInTheMiddle(t *testing.T) {
	ctx := testCtx(t)
	fsys := migratortest.GenerateMigrations(5)
	dbs, targets := newDatabases(t, 6, "fleet-failing")
	// Target 1: migration 3 fails, its table exists already.
	if _, err := dbs[1].DB.Exec("CREATE TABLE t3 (x int)"); err != nil {
		t.Fatal(err)
	}
	// Target 2: nothing listens there.
	unreachable := targets[2]
	targets[2] = target(t, "host=127.0.0.1 port=1 user=nobody dbname=gone sslmode=disable connect_timeout=5")
	// Target 4: migration 2 was applied from another version of the file.
	files := readFiles(t, fsys)
	if _, err := fleet.Run(ctx, &fleet.Runner{}, files, targets[4:5], applyOp)[0].Err, error(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[4].DB.Exec("UPDATE migrations SET hash = repeat('0', 40) WHERE id = 2"); err != nil {
		t.Fatal(err)
	}

	res := fleet.Run(ctx, &fleet.Runner{Parallel: 2}, files, targets, applyOp)
	if len(res) != len(targets) {
		t.Fatalf("%d results for %d targets", len(res), len(targets))
	}
	var mig *migrator.MigrationError
	if !errors.As(res[1].Err, &mig) || mig.Migration.ID != 3 {
		t.Errorf("target 1: got %v, want a *MigrationError of migration 3", res[1].Err)
	} else if len(res[1].Value.Applied) != 2 {
		t.Errorf("target 1: result lists %d applied before the failure, want 2", len(res[1].Value.Applied))
	}
	var ce *migrator.ConnectError
	if !errors.As(res[2].Err, &ce) {
		t.Errorf("target 2: got %v, want a *ConnectError", res[2].Err)
	}
	var ie *migrator.IntegrityError
	if !errors.As(res[4].Err, &ie) {
		t.Errorf("target 4: got %v, want an *IntegrityError", res[4].Err)
	}
	for _, i := range []int{0, 3, 5} {
		if res[i].Err != nil || len(res[i].Value.Applied) != 5 {
			t.Errorf("target %d (%s): %v, want 5 applied", i, res[i].Target.Name, res[i].Err)
		}
	}
	if n := len(fleet.Failed(res)); n != 3 {
		t.Errorf("Failed lists %d targets, want 3", n)
	}

	// Fix each cause and run again: only what was left is applied.
	if _, err := dbs[1].DB.Exec("DROP TABLE t3"); err != nil {
		t.Fatal(err)
	}
	targets[2] = unreachable
	if _, err := dbs[4].DB.Exec("DELETE FROM migrations WHERE id >= 2; DROP TABLE t2, t3, t4, t5"); err != nil {
		t.Fatal(err)
	}
	res = fleet.Run(ctx, &fleet.Runner{Parallel: 2}, files, targets, applyOp)
	wantApplied := []int{0, 3, 5, 0, 4, 0}
	for i, r := range res {
		if r.Err != nil || len(r.Value.Applied) != wantApplied[i] || r.Value.AlreadyApplied != 5-wantApplied[i] {
			t.Errorf("rerun, target %d: %v, %d applied; want nil, %d", i, r.Err, len(r.Value.Applied), wantApplied[i])
		}
		wantIDs(t, "target "+strconv.Itoa(i), appliedIDs(t, dbs[i].DB, "migrations"), 5)
	}
}

// Two fleet runs at once over the same targets apply every migration
// exactly once per target: each target's lock makes them take turns.
func TestTwoRunsAtOnce(t *testing.T) {
	ctx := testCtx(t)
	files := readFiles(t, migratortest.GenerateMigrations(20))
	dbs, targets := newDatabases(t, 6, "fleet-twice")
	var wg sync.WaitGroup
	var runs [2][]fleet.Result[*migrator.ApplyResult]
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i] = fleet.Run(ctx, &fleet.Runner{Parallel: 3}, files, targets, applyOp)
		}()
	}
	wg.Wait()
	for i := range targets {
		total := 0
		for _, res := range runs {
			if res[i].Err != nil {
				t.Fatalf("target %d: %v", i, res[i].Err)
			}
			total += len(res[i].Value.Applied)
		}
		if total != 20 {
			t.Errorf("target %d: the two runs applied %d migrations in all, want 20", i, total)
		}
		wantIDs(t, "target "+strconv.Itoa(i), appliedIDs(t, dbs[i].DB, "migrations"), 20)
	}
}

// A run holds at most Parallel connections to the targets at any moment.
func TestParallelBoundsConnections(t *testing.T) {
	ctx := testCtx(t)
	const app = "fleet-bound"
	dbs, targets := newDatabases(t, 10, app)
	admin := openAdmin(t, dbs[0])
	files := readFiles(t, migratortest.GenerateMigrations(10))
	peak := 0
	r := &fleet.Runner{Parallel: 3, Progress: func(fleet.Progress) {
		var n int
		if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Error(err)
		}
		peak = max(peak, n)
	}}
	slow := func(ctx context.Context, tg fleet.Target, m *migrator.Migrator) (*migrator.ApplyResult, error) {
		res, err := m.Apply(ctx)
		if err == nil { // hold the connection a moment, so that overlaps show
			_, err = m.Status(ctx)
		}
		return res, err
	}
	for _, res := range fleet.Run(ctx, r, files, targets, slow) {
		if res.Err != nil {
			t.Fatalf("%s: %v", res.Target.Name, res.Err)
		}
	}
	if peak == 0 || peak > 3 {
		t.Fatalf("peak of %d connections to the targets, want 1 to 3", peak)
	}
}

// FailFast starts no target after a failure; a failed canary stops the
// whole run; targets that did not start say so.
func TestFailFastAndCanary(t *testing.T) {
	ctx := testCtx(t)
	files := readFiles(t, migratortest.GenerateMigrations(3))
	for _, tc := range []struct {
		name   string
		runner fleet.Runner
	}{
		{"fail-fast", fleet.Runner{Parallel: 1, FailFast: true}},
		{"canary", fleet.Runner{Parallel: 4, Canary: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbs, targets := newDatabases(t, 4, "fleet-"+tc.name)
			if _, err := dbs[0].DB.Exec("CREATE TABLE t1 (x int)"); err != nil {
				t.Fatal(err)
			}
			res := fleet.Run(ctx, &tc.runner, files, targets, applyOp)
			var mig *migrator.MigrationError
			if !errors.As(res[0].Err, &mig) {
				t.Fatalf("target 0: got %v, want a *MigrationError", res[0].Err)
			}
			for i, r := range res[1:] {
				if !errors.Is(r.Err, fleet.ErrSkipped) || r.Value != nil {
					t.Errorf("target %d: got %v, want ErrSkipped and no result", i+1, r.Err)
				}
				var untouched bool
				if err := dbs[i+1].DB.QueryRow("SELECT to_regclass('migrations') IS NULL").Scan(&untouched); err != nil || !untouched {
					t.Errorf("target %d was touched (%v)", i+1, err)
				}
			}
		})
	}
	// A canary that passes lets the rest run.
	_, targets := newDatabases(t, 3, "fleet-canary-ok")
	for _, r := range fleet.Run(ctx, &fleet.Runner{Canary: 1}, files, targets, applyOp) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Target.Name, r.Err)
		}
	}
}
