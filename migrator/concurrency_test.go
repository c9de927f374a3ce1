package migrator_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// runConcurrently applies fsys from n runners at once, each with a pool of
// its own (as n servers of a deploy would), and returns what each applied.
func runConcurrently(t *testing.T, d *migratortest.Database, fsys fs.FS, n int) [][]migrator.MigrationResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	results := make([][]migrator.MigrationResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		db, err := sql.Open("postgres", d.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		m := newMigrator(t, db, fsys, migrator.WithLockPollInterval(100*time.Millisecond))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := m.Apply(ctx)
			results[i], errs[i] = res.Applied, err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
	}
	return results
}

// checkExactlyOnce checks that the runners together applied each of the
// want migrations exactly once.
func checkExactlyOnce(t *testing.T, results [][]migrator.MigrationResult, want int) {
	t.Helper()
	count := map[int]int{}
	for _, r := range results {
		for _, a := range r {
			count[a.ID]++
		}
	}
	for id := 1; id <= want; id++ {
		if count[id] != 1 {
			t.Errorf("migration %d applied %d times", id, count[id])
		}
	}
	if len(count) != want {
		t.Errorf("applied ids %v, want 1..%d", count, want)
	}
}

func TestConcurrentApply(t *testing.T) {
	const n = 20
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%03d_table-%d.sql", i, i)] = file(fmt.Sprintf("CREATE TABLE t%d (id int);\nINSERT INTO t%d SELECT generate_series(1, 1000);", i, i))
	}
	for _, runners := range []int{2, 8} {
		t.Run(fmt.Sprintf("%d runners", runners), func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			checkExactlyOnce(t, runConcurrently(t, d, fsys, runners), n)
			if got := len(trackingRows(t, d.DB)); got != n+1 {
				t.Fatalf("%d tracking rows, want %d", got, n+1)
			}
			if lockHeld(t, d.DB) {
				t.Fatal("lock still held")
			}
		})
	}
}

// TestConcurrentFixtures replays concurrent-2 and concurrent-index-2: after
// concurrent, two (and eight) runners in parallel must neither deadlock nor
// run a migration twice, also while the lock holder runs
// CREATE INDEX CONCURRENTLY (which a blocking lock waiter would stall).
func TestConcurrentFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		runners int
	}{{"concurrent-2", 2}, {"concurrent-index-2", 2}, {"concurrent-index-2", 8}} {
		t.Run(fmt.Sprintf("%s/%d", tc.dir, tc.runners), func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			mustApply(t, d.DB, os.DirFS(peerDir(t, "concurrent")))
			fsys := os.DirFS(peerDir(t, tc.dir))
			migs := newMigrator(t, d.DB, fsys).Migrations()
			results := runConcurrently(t, d, fsys, tc.runners)
			// 1_create-table was applied by the setup run.
			count := map[int]int{}
			for _, r := range results {
				for _, a := range r {
					count[a.ID]++
				}
			}
			for _, m := range migs[1:] {
				if count[m.ID] != 1 {
					t.Errorf("%s applied %d times", m.File, count[m.ID])
				}
			}
			if tc.dir == "concurrent-index-2" {
				var valid bool
				if err := d.DB.QueryRow(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'concurrent_index'::regclass`).Scan(&valid); err != nil || !valid {
					t.Fatalf("concurrent_index valid=%v (%v)", valid, err)
				}
			}
		})
	}
}

func TestLockWaitTimeout(t *testing.T) {
	d := migratortest.NewDatabase(t)
	ctx := context.Background()
	holder := migratortest.HoldLock(t, d.DB, migrator.LockKey)
	pid := holder.PID
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{"1_a.sql": file("CREATE TABLE a (id int);")}
	var logs bytes.Buffer
	_, err = newMigrator(t, db, fsys, migrator.WithLockWait(300*time.Millisecond), migrator.WithLogger(jsonLogger(&logs))).Apply(ctx)
	if want := fmt.Sprintf(`"holder_pid":%d`, pid); !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "waiting for the migration lock") {
		t.Errorf("the wait was not logged with the holder (%s):\n%s", want, logs.String())
	}
	var lerr *migrator.LockTimeoutError
	if !errors.Is(err, migrator.ErrLockTimeout) || !errors.As(err, &lerr) {
		t.Fatalf("err = %v, want ErrLockTimeout", err)
	}
	if len(lerr.Holders) != 1 || lerr.Holders[0].PID != pid || lerr.Waited < 300*time.Millisecond {
		t.Fatalf("holders %+v (want pid %d), waited %s", lerr.Holders, pid, lerr.Waited)
	}
	if tableExists(t, d.DB, "migrations") {
		t.Fatal("the runner that timed out created the tracking table")
	}
	// Once the holder lets go, a waiting run proceeds.
	done := make(chan error, 1)
	go func() {
		_, err := newMigrator(t, db, fsys, migrator.WithLockPollInterval(50*time.Millisecond)).Apply(ctx)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("waiting run did not proceed after the lock was released")
	}
}
