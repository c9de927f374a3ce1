package fleet_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// Two runs at once over 50 tenant schemas of one database: each tenant
// gets every migration exactly once, in its own schema and tracking
// table; nothing deadlocks and no lock is left behind.
func TestEachSchemaTwoRunsAtOnce(t *testing.T) {
	ctx := testCtx(t)
	d := migratortest.NewDatabase(t)
	createSchemas(t, d.DB, "tenant", 50)
	createSchemas(t, d.DB, "other", 1)
	base := target(t, d.DSN)
	targets, err := fleet.EachSchema(ctx, base.Config, `tenant\_%`)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 50 || targets[0].Schema != "tenant_001" || targets[0].Name != base.Name+"/tenant_001" {
		t.Fatalf("EachSchema found %d targets, first %+v; want 50, tenant_001", len(targets), targets[0].Name)
	}
	files := readFiles(t, migratortest.GenerateMigrations(10))
	var wg sync.WaitGroup
	var runs [2][]fleet.Result[*migrator.ApplyResult]
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i] = fleet.Run(ctx, &fleet.Runner{Parallel: 4}, files, targets, applyOp)
		}()
	}
	wg.Wait()
	for i, tg := range targets {
		total := 0
		for _, res := range runs {
			if res[i].Err != nil {
				t.Fatalf("%s: %v", tg.Name, res[i].Err)
			}
			total += len(res[i].Value.Applied)
		}
		if total != 10 {
			t.Errorf("%s: the two runs applied %d migrations in all, want 10", tg.Name, total)
		}
		table := pq.QuoteIdentifier(tg.Schema) + ".migrations"
		wantIDs(t, tg.Name, appliedIDs(t, d.DB, table), 10)
		if got := runs[0][i].Value.Table; got != tg.Schema+".migrations" && got != fmt.Sprintf("%q.migrations", tg.Schema) {
			t.Errorf("%s: result names table %q", tg.Name, got)
		}
	}
	// The migrations ran with the tenant's schema first on search_path.
	var n int
	if err := d.DB.QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename = 't10' AND schemaname LIKE 'tenant\_%'`).Scan(&n); err != nil || n != 50 {
		t.Errorf("table t10 is in %d tenant schemas (%v), want 50", n, err)
	}
	if err := d.DB.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'other_001')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tables outside the tenant schemas (%v), want 0", n, err)
	}
	if n := advisoryLocks(t, d.DB, d.Name); n != 0 {
		t.Errorf("%d advisory locks left in the database", n)
	}
}

// A tenant schema's lock is its own: a run on a tenant does not wait for
// the database-wide key, but waits for its own.
func TestEachSchemaLockKey(t *testing.T) {
	ctx := testCtx(t)
	d := migratortest.NewDatabase(t)
	d.DB.SetMaxOpenConns(4)
	createSchemas(t, d.DB, "t", 2)
	targets, err := fleet.EachSchema(ctx, target(t, d.DSN).Config, "t\\_%")
	if err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, migratortest.GenerateMigrations(2))
	migratortest.HoldLock(t, d.DB, migrator.LockKey)
	held := migratortest.HoldLock(t, d.DB, fleet.SchemaLockKey("t_002"))
	r := &fleet.Runner{Options: []migrator.Option{migrator.WithLockWait(300 * time.Millisecond)}}
	res := fleet.Run(ctx, r, files, targets, applyOp)
	if res[0].Err != nil {
		t.Errorf("t_001 waited for the database-wide key: %v", res[0].Err)
	}
	if !errorsIsLockTimeout(res[1].Err) {
		t.Errorf("t_002 with its key held: got %v, want a lock timeout", res[1].Err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
}
