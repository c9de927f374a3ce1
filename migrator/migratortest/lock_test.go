package migratortest_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// testLockKey is an advisory lock key of these tests, not pgmig's.
const testLockKey int64 = 7_240_021_301

// tryLock reports whether a session of db other than the holder's gets
// the lock, and releases it again.
func tryLock(t *testing.T, db *sql.DB, key int64) bool {
	t.Helper()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(t.Context(), "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got {
		if _, err := conn.ExecContext(t.Context(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func TestHoldLock(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	h := migratortest.HoldLock(t, d.DB, testLockKey)
	if tryLock(t, d.DB, testLockKey) {
		t.Fatal("another session got the lock HoldLock holds")
	}
	var pid int
	err := d.DB.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((classid::bigint << 32) | objid::bigint) = $1`, testLockKey).Scan(&pid)
	if err != nil || pid != h.PID {
		t.Fatalf("pg_locks says pid %d holds the lock (%v), PID is %d", pid, err, h.PID)
	}
	if err := h.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !tryLock(t, d.DB, testLockKey) {
		t.Fatal("the lock is still held after Release")
	}
	if err := h.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}

	// Release reports a lock the session lost.
	h = migratortest.HoldLock(t, d.DB, testLockKey)
	var terminated bool
	if err := d.DB.QueryRow("SELECT pg_terminate_backend($1)", h.PID).Scan(&terminated); err != nil || !terminated {
		t.Fatalf("terminate the holder: %v, %v", terminated, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var alive bool
		if err := d.DB.QueryRow("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", h.PID).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated holder is still there")
		}
	}
	if err := h.Release(); err == nil {
		t.Error("Release after the holder was terminated succeeded")
	}
}

func TestHoldLockFreedAtCleanup(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	d.DB.SetMaxIdleConns(5) // a session returned to the pool would keep the lock
	t.Run("holder", func(t *testing.T) {
		migratortest.HoldLock(t, d.DB, testLockKey)
		if tryLock(t, d.DB, testLockKey) {
			t.Fatal("another session got the lock HoldLock holds")
		}
	})
	if !tryLock(t, d.DB, testLockKey) {
		t.Fatal("the lock is still held after the holding test ended")
	}
	var n int
	if err := d.DB.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d advisory locks left (%v)", n, err)
	}
}
