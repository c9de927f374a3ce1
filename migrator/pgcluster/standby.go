package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StartStandby starts a streaming hot standby of the running cluster c on
// a free port: a base backup of c taken with pg_basebackup (one of the
// server's major version or newer, from the bin directory of the server,
// PATH or the directories Start searches) or, when there is none, with the
// pg_backup_start/pg_backup_stop functions and a file copy. It returns
// once the standby accepts queries, reports pg_is_in_recovery() and
// streams WAL from c; ctx bounds the backup and the wait. The caller must
// Close the standby, before c. Stopping the standby leaves c running;
// Start restarts it as a standby again.
func (c *Cluster) StartStandby(ctx context.Context) (*Cluster, error) {
	s, err := newStandby(ctx, c, FindClientProgram(filepath.Dir(c.bins.initdb), "pg_basebackup", c.major))
	if err != nil {
		return nil, fmt.Errorf("start standby: %w", err)
	}
	return s, nil
}

// WaitCaughtUp waits until the standby c has replayed all WAL that primary
// (a handle on any database of its primary) has written when it is called,
// so that what was committed on primary before can be read on c. It first
// makes primary flush its WAL, since clusters run with
// synchronous_commit=off unless Durable. It returns an error when c is not
// in recovery or ctx ends first.
func (c *Cluster) WaitCaughtUp(ctx context.Context, primary *sql.DB) error {
	lsn, err := flushedLSN(ctx, primary)
	if err != nil {
		return fmt.Errorf("wait for standby: %w", err)
	}
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("wait for standby: %w", err)
	}
	defer db.Close()
	for {
		var inRecovery bool
		var replayed sql.NullBool
		err := db.QueryRowContext(ctx,
			"SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&inRecovery, &replayed)
		switch {
		case err != nil:
			return fmt.Errorf("wait for standby to replay %s: %w", lsn, err)
		case !inRecovery:
			return errors.New("wait for standby: server is not in recovery")
		case replayed.Valid && replayed.Bool:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for standby to replay %s: %w; standby log:\n%s", lsn, ctx.Err(), c.LogTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// flushedLSN makes the server of db flush all WAL inserted so far and
// returns the position up to which it is flushed. A commit with
// synchronous_commit=on of a transaction that has written WAL (here a
// transactional logical message; an xid alone is not enough) flushes the
// WAL up to its commit record, which follows every record inserted before.
func flushedLSN(ctx context.Context, db *sql.DB) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("flush primary wal: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = on; SELECT pg_logical_emit_message(true, 'pgmig migratortest', 'flush')"); err != nil {
		return "", fmt.Errorf("flush primary wal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("flush primary wal: %w", err)
	}
	var lsn string
	if err := db.QueryRowContext(ctx, "SELECT pg_current_wal_flush_lsn()::text").Scan(&lsn); err != nil {
		return "", fmt.Errorf("read primary wal position: %w", err)
	}
	return lsn, nil
}

// newStandby makes a base backup of primary with the pg_basebackup program
// basebackup, or with the backup functions and a file copy when it is "",
// and starts it as a streaming standby on a free port.
func newStandby(ctx context.Context, primary *Cluster, basebackup string) (_ *Cluster, err error) {
	s, err := newCluster("pgmig-standby-", primary.bins, primary.opts)
	if err != nil {
		return nil, err
	}
	s.major = primary.major
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if basebackup != "" {
		if err := runBasebackup(ctx, basebackup, primary, s); err != nil {
			return nil, err
		}
	} else if err := copyBackup(ctx, primary, s); err != nil {
		return nil, err
	}
	if err := s.startOnFreePort(ctx); err != nil {
		return nil, err
	}
	return s, s.waitStreaming(ctx)
}

// runBasebackup makes the data directory of standby a base backup of
// primary with the pg_basebackup program path. Its -R writes the standby
// configuration only when its version is the server's: a newer one puts
// connection options into primary_conninfo that an older server's
// walreceiver rejects (channel_binding, on PostgreSQL 12).
func runBasebackup(ctx context.Context, path string, primary, standby *Cluster) error {
	args := []string{"-D", standby.dataDir, "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port),
		"-U", "postgres", "-w", "-c", "fast", "-X", "stream", "--no-sync"}
	serverMajor := primary.major
	toolMajor, err := ProgramMajor(path)
	if err != nil {
		return err
	}
	sameVersion := toolMajor == serverMajor
	if sameVersion {
		args = append(args, "-R")
	}
	if out, err := standby.commandContext(ctx, path, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", path, err, tail(out))
	}
	if sameVersion {
		return nil
	}
	return writeStandbyConfig(primary, standby)
}

// writeStandbyConfig makes the data directory of standby start as a
// standby of primary: standby.signal and primary_conninfo in
// postgresql.auto.conf, as pg_basebackup -R does.
func writeStandbyConfig(primary, standby *Cluster) error {
	if err := writeOwned(filepath.Join(standby.dataDir, "standby.signal"), nil, standby.cred); err != nil {
		return err
	}
	auto := filepath.Join(standby.dataDir, "postgresql.auto.conf")
	old, err := os.ReadFile(auto)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read postgresql.auto.conf: %w", err)
	}
	conninfo := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres", primary.port)
	text := string(old) + "primary_conninfo = '" + conninfo + "'\n"
	return writeOwned(auto, []byte(text), standby.cred)
}

// waitStreaming waits until the started standby is in recovery and its WAL
// receiver streams from the primary.
func (c *Cluster) waitStreaming(ctx context.Context) error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open standby connection: %w", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var inRecovery bool
	if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return fmt.Errorf("query standby: %w", err)
	}
	if !inRecovery {
		return fmt.Errorf("standby is not in recovery; server log:\n%s", c.LogTail())
	}
	for {
		var status string
		err := db.QueryRowContext(ctx, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'no wal receiver')").Scan(&status)
		if err == nil && status == "streaming" {
			return nil
		}
		if err != nil {
			status = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("standby not streaming from the primary after %s (%s); standby log:\n%s",
				readyTimeout, status, c.LogTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
