package main

import (
	"bytes"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// buildPgmig builds the pgmig binary once per test binary.
func buildPgmig(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pgmig")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSignalsRollBackAndReleaseLock sends SIGINT and SIGTERM to a pgmig
// process in the middle of a slow migration: the migration is cancelled and
// rolled back, the lock released, and pgmig exits with 130.
func TestSignalsRollBackAndReleaseLock(t *testing.T) {
	bin := buildPgmig(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			dir := writeMigrations(t, map[string]string{
				"1_fast.sql": "CREATE TABLE fast (id int);",
				"2_slow.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);",
			})
			cmd := exec.Command(bin, "--url", d.DSN, "--log-format", "json", "apply", dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, d.DB, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()")
			start := time.Now()
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != exitInterrupted {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, exitInterrupted, stderr.String())
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("exit took %s after the signal", took)
			}
			for _, want := range []string{"received: cancelling the running statement", "interrupted", "the migration lock was released"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			var rows, locks int
			d.DB.QueryRow("SELECT count(*) FROM migrations").Scan(&rows)
			// When pgmig had to drop its connection to release the lock, the
			// server ends that session a moment after pgmig exits.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				d.DB.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = $1`, migrator.LockKey).Scan(&locks)
				if locks == 0 || time.Now().After(deadline) {
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
