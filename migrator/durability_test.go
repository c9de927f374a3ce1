package migrator_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// TestDurableWhenApplyReturns kills the server with an immediate shutdown
// right after Apply returns success: every migration must be there after
// the restart, although all commits but the last skipped the WAL flush.
// The WAL writer is slowed down so that it cannot flush them in between.
func TestDurableWhenApplyReturns(t *testing.T) {
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{
		Durable:  true,
		Settings: map[string]string{"wal_writer_delay": "10s", "wal_writer_flush_after": "0"},
	})
	d := c.Server(t).NewDatabase(t)
	const n = 60
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%03d_t%d.sql", i, i)] = file(fmt.Sprintf("CREATE TABLE t%d (id int);\nINSERT INTO t%d VALUES (%d);", i, i, i))
	}
	for round, syncEach := range []bool{false, true} {
		db, err := sql.Open("postgres", d.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if round == 1 {
			// Second round: a fresh set of tables, each commit flushed.
			for i := 1; i <= n; i++ {
				fsys[fmt.Sprintf("%03d_t%d.sql", n+i, n+i)] = file(fmt.Sprintf("CREATE TABLE t%d (id int);", n+i))
			}
		}
		res, err := newMigrator(t, db, fsys, migrator.WithSyncCommitEach(syncEach)).Apply(context.Background())
		db.Close()
		if err != nil || len(res.Applied) != n {
			t.Fatalf("round %d: applied %d, err %v", round, len(res.Applied), err)
		}
		if err := c.Stop("immediate"); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		db, err = sql.Open("postgres", d.DSN)
		if err != nil {
			t.Fatal(err)
		}
		var rows, tables int
		deadline := time.Now().Add(30 * time.Second)
		for {
			err = db.QueryRow("SELECT count(*) FROM migrations").Scan(&rows)
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		db.QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'").Scan(&tables)
		db.Close()
		want := n*(round+1) + 1
		if rows != want || tables != n*(round+1) {
			t.Fatalf("round %d (sync each %v): after a crash right after success: %d tracking rows (want %d), %d tables", round, syncEach, rows, want, tables)
		}
	}
}
