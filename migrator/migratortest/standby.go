package migratortest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartStandby starts a streaming hot standby of the running cluster c on
// a free port: a base backup of c taken with pg_basebackup (one of the
// server's major version or newer, from the bin directory of initdb, PATH
// or /usr/lib/postgresql/*/bin) or, when there is none, with the
// pg_backup_start/pg_backup_stop functions and a file copy. It returns
// once the standby accepts queries, reports pg_is_in_recovery() and
// streams WAL from c. The standby is stopped and its directory removed in
// t.Cleanup, before c is (clusters are cleaned up in reverse order of
// creation). Stopping the standby leaves c running; Start restarts it as a
// standby again.
func (c *Cluster) StartStandby(t testing.TB) *Cluster {
	t.Helper()
	major, err := c.majorVersion()
	if err != nil {
		t.Fatalf("migratortest: start standby: %v", err)
	}
	s, err := newStandby(c, findBasebackup(c.bins, major))
	if err != nil {
		t.Fatalf("migratortest: start standby: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("remove standby cluster: %v", err)
		}
	})
	return s
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
			return fmt.Errorf("wait for standby to replay %s: %w; standby log:\n%s", lsn, ctx.Err(), c.logTail())
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

// majorVersion returns the major version of the cluster's data directory.
func (c *Cluster) majorVersion() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION"))
	if err != nil {
		return 0, fmt.Errorf("read server version: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse PG_VERSION %q: %w", b, err)
	}
	return v, nil
}

// findBasebackup returns a pg_basebackup that can back up a server of major
// version major, or "" if there is none (see findClientProgram).
func findBasebackup(bins binaries, major int) string {
	return findClientProgram(bins, "pg_basebackup", major)
}

// findClientProgram returns the client program name (pg_basebackup,
// pg_dump) that works with a server of major version major, or "" if there
// is none: the one next to initdb, on PATH or in /usr/lib/postgresql/*/bin
// (newest first) whose own major version is major or newer, as these
// programs refuse newer servers.
func findClientProgram(bins binaries, name string, major int) string {
	var candidates []string
	if bins.initdb != "" {
		candidates = append(candidates, filepath.Join(filepath.Dir(bins.initdb), name))
	}
	if path, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, path)
	}
	dirs, _ := filepath.Glob(debianBinGlob)
	sortByVersionDesc(dirs)
	for _, dir := range dirs {
		candidates = append(candidates, filepath.Join(dir, name))
	}
	for _, path := range candidates {
		if v, err := programMajor(path); err == nil && v >= major {
			return path
		}
	}
	return ""
}

// versionRE finds the major version in the --version output of a
// PostgreSQL program, such as "pg_basebackup (PostgreSQL) 15.10".
var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// programMajor returns the major version of the PostgreSQL program path.
func programMajor(path string) (int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return 0, fmt.Errorf("%s is not an executable file", path)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", path, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version: no version in %q", path, out)
	}
	return strconv.Atoi(string(m[1]))
}

// newStandby makes a base backup of primary with the pg_basebackup program
// basebackup, or with the backup functions and a file copy when it is "",
// and starts it as a streaming standby on a free port.
func newStandby(primary *Cluster, basebackup string) (_ *Cluster, err error) {
	dir, err := os.MkdirTemp("", "pgmig-standby-")
	if err != nil {
		return nil, fmt.Errorf("create standby directory: %w", err)
	}
	s := &Cluster{
		bins:     primary.bins,
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		logPath:  filepath.Join(dir, "postgres.log"),
		cred:     primary.cred,
		settings: append([]string(nil), primary.settings...),
	}
	if len(dir)+len("/.s.PGSQL.65535") <= maxSocketPath {
		s.sockDir = dir
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict standby directory: %w", err)
	}
	if s.cred != nil {
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return nil, fmt.Errorf("hand standby directory to uid %d: %w", s.cred.Uid, err)
		}
	}
	if basebackup != "" {
		if err := runBasebackup(basebackup, primary, s); err != nil {
			return nil, err
		}
	} else if err := copyBackup(primary, s); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		err = s.Start()
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return s, s.waitStreaming()
}

// runBasebackup makes the data directory of standby a base backup of
// primary with the pg_basebackup program path. Its -R writes the standby
// configuration only when its version is the server's: a newer one puts
// connection options into primary_conninfo that an older server's
// walreceiver rejects (channel_binding, on PostgreSQL 12).
func runBasebackup(path string, primary, standby *Cluster) error {
	args := []string{"-D", standby.dataDir, "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port),
		"-U", "postgres", "-w", "-c", "fast", "-X", "stream", "--no-sync"}
	serverMajor, err := primary.majorVersion()
	if err != nil {
		return err
	}
	toolMajor, err := programMajor(path)
	if err != nil {
		return err
	}
	sameVersion := toolMajor == serverMajor
	if sameVersion {
		args = append(args, "-R")
	}
	if out, err := standby.command(path, args...).CombinedOutput(); err != nil {
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
func (c *Cluster) waitStreaming() error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open standby connection: %w", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var inRecovery bool
	if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return fmt.Errorf("query standby: %w", err)
	}
	if !inRecovery {
		return fmt.Errorf("standby is not in recovery; server log:\n%s", c.logTail())
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
				readyTimeout, status, c.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// skipContents names the directories of a data directory whose contents a
// base backup leaves out, as pg_basebackup does.
var skipContents = map[string]bool{
	"pg_wal": true, "pg_replslot": true, "pg_dynshmem": true, "pg_notify": true,
	"pg_serial": true, "pg_snapshots": true, "pg_stat_tmp": true, "pg_subtrans": true,
}

// skipFiles names the top-level files of a data directory a base backup
// leaves out.
var skipFiles = map[string]bool{
	"postmaster.pid": true, "postmaster.opts": true, "backup_label": true, "tablespace_map": true,
	"current_logfiles": true, "standby.signal": true, "recovery.signal": true,
	"backup_label.old": true, "postgresql.auto.conf.tmp": true,
}

// copyBackup makes the data directory of standby a base backup of the
// running primary without pg_basebackup: between pg_backup_start and
// pg_backup_stop it copies the data files, then it writes the backup label,
// copies the WAL the backup needs and sets primary_conninfo and
// standby.signal, as pg_basebackup -R would.
func copyBackup(primary, standby *Cluster) error {
	major, err := primary.majorVersion()
	if err != nil {
		return err
	}
	startSQL := "SELECT pg_backup_start('pgmig standby', true)"
	stopSQL := "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)"
	if major < 15 {
		startSQL = "SELECT pg_start_backup('pgmig standby', true, false)"
		stopSQL = "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, false)"
	}
	db, err := sql.Open("postgres", primary.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open primary connection: %w", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	// A non-exclusive backup belongs to the session that started it.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to primary: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, startSQL); err != nil {
		return fmt.Errorf("start backup: %w", err)
	}
	copyErr := copyDataDir(primary.dataDir, standby.dataDir, standby.cred)
	var stopLSN, label, spcmap string
	if err := conn.QueryRowContext(ctx, stopSQL).Scan(&stopLSN, &label, &spcmap); err != nil {
		return errors.Join(copyErr, fmt.Errorf("stop backup: %w", err))
	}
	if copyErr != nil {
		return copyErr
	}
	var stopFile string
	if err := conn.QueryRowContext(ctx, "SELECT pg_walfile_name($1::pg_lsn)", stopLSN).Scan(&stopFile); err != nil {
		return fmt.Errorf("name backup stop wal file: %w", err)
	}
	startFile, err := labelStartFile(label)
	if err != nil {
		return err
	}
	if err := copyWAL(primary.dataDir, standby.dataDir, startFile, stopFile, standby.cred); err != nil {
		return err
	}
	if err := writeOwned(filepath.Join(standby.dataDir, "backup_label"), []byte(label), standby.cred); err != nil {
		return err
	}
	if spcmap != "" {
		if err := writeOwned(filepath.Join(standby.dataDir, "tablespace_map"), []byte(spcmap), standby.cred); err != nil {
			return err
		}
	}
	return writeStandbyConfig(primary, standby)
}

// copyDataDir copies the files of the data directory src to dst, leaving
// out what a base backup does. Files that vanish meanwhile are skipped.
func copyDataDir(src, dst string, cred *syscall.Credential) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != src {
				return nil
			}
			return fmt.Errorf("copy data directory: %w", err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		top := filepath.Dir(rel) == "."
		switch {
		case strings.HasPrefix(d.Name(), "pgsql_tmp"):
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case d.IsDir():
			if err := mkdirOwned(target, cred); err != nil {
				return err
			}
			if rel == "pg_wal" {
				if err := mkdirOwned(filepath.Join(target, "archive_status"), cred); err != nil {
					return err
				}
			}
			if skipContents[rel] {
				return fs.SkipDir
			}
			return nil
		case top && skipFiles[rel]:
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("copy data directory: %s is a symbolic link (tablespaces are not supported)", path)
		case !d.Type().IsRegular():
			return nil
		}
		return copyFileOwned(path, target, cred)
	})
}

// labelStartFile returns the WAL file a backup starts in, from its label.
func labelStartFile(label string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(label))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "START WAL LOCATION:") {
			continue
		}
		i := strings.Index(line, "(file ")
		j := strings.LastIndex(line, ")")
		if i >= 0 && j > i {
			return line[i+len("(file ") : j], nil
		}
	}
	return "", fmt.Errorf("no START WAL LOCATION in backup label:\n%s", label)
}

// walFileRE matches the name of a WAL segment file.
var walFileRE = regexp.MustCompile(`^[0-9A-F]{24}$`)

// copyWAL copies the WAL segments from startFile to stopFile and the
// timeline history files from the pg_wal of src to that of dst.
func copyWAL(src, dst, startFile, stopFile string, cred *syscall.Credential) error {
	entries, err := os.ReadDir(filepath.Join(src, "pg_wal"))
	if err != nil {
		return fmt.Errorf("copy wal: %w", err)
	}
	copied := false
	for _, e := range entries {
		name := e.Name()
		segment := walFileRE.MatchString(name) && name >= startFile && name <= stopFile
		if !segment && !strings.HasSuffix(name, ".history") {
			continue
		}
		err := copyFileOwned(filepath.Join(src, "pg_wal", name), filepath.Join(dst, "pg_wal", name), cred)
		if err != nil {
			return fmt.Errorf("copy wal: %w", err)
		}
		copied = copied || name == startFile
	}
	if !copied {
		return fmt.Errorf("copy wal: the backup's first segment %s is gone from the primary", startFile)
	}
	return nil
}

// mkdirOwned creates directory path with mode 0700, owned by cred.
func mkdirOwned(path string, cred *syscall.Credential) error {
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("copy data directory: %w", err)
	}
	return chownTo(path, cred)
}

// copyFileOwned copies the regular file src to dst (mode 0600, owned by
// cred). A src that no longer exists is skipped.
func copyFileOwned(src, dst string, cred *syscall.Credential) error {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy data directory: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("copy data directory: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return chownTo(dst, cred)
}

// writeOwned writes a file with mode 0600 owned by cred.
func writeOwned(path string, data []byte, cred *syscall.Credential) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return chownTo(path, cred)
}

// chownTo hands path to cred; it does nothing when cred is nil.
func chownTo(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("hand %s to uid %d: %w", path, cred.Uid, err)
	}
	return nil
}
