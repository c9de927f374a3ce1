package pgcluster

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

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
func copyBackup(ctx context.Context, primary, standby *Cluster) error {
	major := primary.major
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
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
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
