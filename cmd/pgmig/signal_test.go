package main

import (
	"database/sql"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// TestSignalsRollBackAndReleaseLock sends SIGINT and SIGTERM to a pgmig
// process in the middle of a slow migration: the migration is cancelled and
// rolled back, the lock released, and pgmig exits with 130.
func TestSignalsRollBackAndReleaseLock(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			dir := writeMigrations(t, map[string]string{
				"1_fast.sql": "CREATE TABLE fast (id int);",
				"2_slow.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);",
			})
			p := startPgmig(t, "--url", d.DSN, "--log-format", "json", "apply", dir)
			waitFor(t, d.DB, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()")
			start := time.Now()
			p.cmd.Process.Signal(sig)
			code := p.wait(t)
			stderr := p.stderr.String()
			if code != exitInterrupted {
				t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("exit took %s after the signal", took)
			}
			for _, want := range []string{"received: cancelling the running statement", "interrupted", "the migration lock was released"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			var rows, locks int
			d.DB.QueryRow("SELECT count(*) FROM migrations").Scan(&rows)
			// When pgmig had to drop its connection to release the lock, the
			// server ends that session a moment after pgmig exits.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if locks = lockHolders(t, d.DB); locks == 0 || time.Now().After(deadline) {
					break
				}
			}
			var slow sql.NullString
			d.DB.QueryRow("SELECT to_regclass('slow')::text").Scan(&slow)
			if rows != 2 || locks != 0 || slow.Valid {
				t.Fatalf("after %s: %d tracking rows (want 2), %d locks, table slow exists %v", sig, rows, locks, slow.Valid)
			}
		})
	}
}

// waitFor waits until countQuery counts more than 0, failing the test after
// 30 seconds.
func waitFor(t *testing.T, db *sql.DB, countQuery string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := db.QueryRow(countQuery).Scan(&n); err == nil && n > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for: %s", countQuery)
}
