package migratortest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// LockHolder is a session of its own that holds a session-level advisory
// lock, made by HoldLock.
type LockHolder struct {
	// PID is the server process ID of the holding session, as pg_locks,
	// pg_stat_activity and pgmig's messages about the holder show it.
	PID int

	key  int64
	conn *sql.Conn
	once sync.Once
	err  error
}

// HoldLock takes the session-level advisory lock key (pgmig's is
// migrator.LockKey; migratortest does not import migrator, whose own tests
// use this package) with pg_advisory_lock in a session of its own, taken
// from db, so that runs in other sessions find it held. db must be
// connected to the database the runs use: advisory locks belong to one
// database. Give db an application_name in its DSN to see it in what the
// holder is called.
//
// HoldLock waits while another session holds the lock, up to a minute,
// and fails the test on an error. The session is one of db's, so db needs
// room for one more open connection. Release the lock with Release; else
// it is released and the session closed (not returned to db's pool) in
// t.Cleanup.
func HoldLock(t testing.TB, db *sql.DB, key int64) *LockHolder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("migratortest: hold advisory lock %d: %v", key, err)
	}
	h := &LockHolder{key: key, conn: conn}
	t.Cleanup(h.close)
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l", key).Scan(&h.PID); err != nil {
		t.Fatalf("migratortest: hold advisory lock %d: %v", key, err)
	}
	return h
}

// Release releases the lock with pg_advisory_unlock and closes the
// holding session. It returns an error when the unlock fails (for example
// because the session was terminated, which released the lock already) or
// finds the lock not held; later calls return the first call's result.
func (h *LockHolder) Release() error {
	h.once.Do(func() { h.err = h.release() })
	return h.err
}

// close releases the lock unless Release did, ignoring errors.
func (h *LockHolder) close() {
	h.once.Do(func() { _ = h.release() })
}

// release unlocks and closes the session. The unlock comes first because
// a closed session frees its locks only once its server process has
// exited, a moment after the client is gone.
func (h *LockHolder) release() error {
	var released bool
	err := h.conn.QueryRowContext(context.Background(), "SELECT pg_advisory_unlock($1)", h.key).Scan(&released)
	if err == nil && !released {
		err = errors.New("the session did not hold it")
	}
	if err != nil {
		err = fmt.Errorf("release advisory lock %d: %w", h.key, err)
	}
	return errors.Join(err, h.discard())
}

// discard closes the holding session: Conn.Close alone would return it,
// lock and all, to db's pool of idle sessions.
func (h *LockHolder) discard() error {
	_ = h.conn.Raw(func(any) error { return driver.ErrBadConn })
	if err := h.conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return err
	}
	return nil
}
