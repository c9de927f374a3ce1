package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// TestMonitorReportsTheBlockerInJSONLogs: with JSON logs (stderr is no
// terminal), a migration that waits on a lock past --report-after gives one
// "migration still running" event per report naming the blocker, and
// --json gives the waits of the migration.
func TestMonitorReportsTheBlockerInJSONLogs(t *testing.T) {
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec("CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT * FROM t"); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{"1_add-column.sql": "ALTER TABLE t ADD COLUMN note text;\n"})

	// The blocker commits once the monitor has finished a look that found
	// it (pgmig's session ran the blocker query and is idle again), not
	// after a fixed time: on a loaded machine the first look may come late.
	// The watcher has a session of its own, opened before pgmig runs (the
	// run clears the connection environment), and a failed look is retried,
	// never taken for a finished one.
	watcher, err := d.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	if err := watcher.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	looked := make(chan struct{})
	go func() {
		defer close(looked)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var n int
			err := watcher.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND datname = current_database() AND application_name = 'pgmig'
  AND state = 'idle' AND query LIKE '%pg_blocking_pids%'`).Scan(&n)
			if err == nil && n > 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	go func() {
		<-looked
		_, _ = conn.ExecContext(ctx, "COMMIT")
	}()

	code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--report-after", "200ms", "--json", dir)
	<-looked
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	reports := 0
	for line := range strings.Lines(stderr) {
		var ev struct {
			Level       string   `json:"level"`
			Message     string   `json:"message"`
			File        string   `json:"file"`
			State       string   `json:"state"`
			WaitType    string   `json:"wait_event_type"`
			BlockerPIDs []int    `json:"blocker_pids"`
			BlockedBy   []string `json:"blocked_by"`
			ElapsedMS   float64  `json:"elapsed"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stderr line is not JSON: %q", line)
		}
		if ev.Message != "migration still running" {
			continue
		}
		reports++
		if reports > 1 {
			// A later look may have come as the blocker committed.
			if ev.Level != "info" || ev.File != "1_add-column.sql" {
				t.Errorf("report event %s", line)
			}
			continue
		}
		if ev.Level != "info" || ev.File != "1_add-column.sql" || ev.State != "active" || ev.WaitType != "Lock" ||
			len(ev.BlockerPIDs) != 1 || ev.BlockerPIDs[0] != pid || len(ev.BlockedBy) != 1 ||
			!strings.Contains(ev.BlockedBy[0], "pid "+strconv.Itoa(pid)+" ") || !strings.Contains(ev.BlockedBy[0], "idle in transaction") ||
			ev.ElapsedMS < 200 {
			t.Errorf("report event %s", line)
		}
	}
	if reports == 0 {
		t.Fatalf("no report event in stderr:\n%s", stderr)
	}
	var res struct {
		Applied []struct {
			File  string `json:"file"`
			Waits *struct {
				Looks             int      `json:"looks"`
				LongestLockWaitMS *float64 `json:"longest_lock_wait_ms"`
				Blockers          []struct {
					PID   int    `json:"pid"`
					State string `json:"state"`
				} `json:"blockers"`
			} `json:"waits"`
		} `json:"applied"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Applied) != 1 {
		t.Fatalf("stdout %v:\n%s", err, stdout)
	}
	w := res.Applied[0].Waits
	if w == nil || w.Looks == 0 || w.LongestLockWaitMS == nil || len(w.Blockers) != 1 || w.Blockers[0].PID != pid ||
		w.Blockers[0].State != "idle in transaction" {
		t.Fatalf("waits in --json:\n%s", stdout)
	}
}

func TestStatusText(t *testing.T) {
	if got := bar(0.5, 10); got != "[#####-----]" {
		t.Errorf("bar = %q", got)
	}
	if got := count(12345678); got != "12,345,678" {
		t.Errorf("count = %q", got)
	}
	if got := truncate("abcdef", 4); got != "abc…" {
		t.Errorf("truncate = %q", got)
	}
}
