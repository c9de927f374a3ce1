package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// reloadTimeout bounds the wait for the server to reload its configuration.
const reloadTimeout = 30 * time.Second

// WriteFile writes data to the file name in the data directory (a
// relative, slash-separated path such as "pg_hba.conf", "server.key" or
// "conf.d/extra.conf"), replacing it if it exists. The file gets mode perm
// exactly (the umask does not apply) and, like the missing directories it
// creates (mode 0700), belongs to the OS user running the server, so that
// the server can read it (and accepts a private key of mode 0600). The file
// is written under a temporary name and renamed, so the server never reads
// half of it.
//
// WriteFile does not tell the server: call Reload for pg_hba.conf and
// settings that a reload changes (ssl and the ssl_* files included), or
// Restart for those that need a restart. Files that must exist for the
// server to start (a certificate named in ClusterOptions.Settings) cannot
// be written before NewCluster's first start: write them, set the setting
// with ALTER SYSTEM and Reload or Restart. The error reports a name that is
// not local to the data directory, or a failed write, chown or rename.
func (c *Cluster) WriteFile(name string, data []byte, perm os.FileMode) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("write server file %q: not a relative path inside the data directory", name)
	}
	path := filepath.Join(c.dataDir, filepath.FromSlash(name))
	if err := c.mkdirAllOwned(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write server file %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pgmig-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write server file %s: %w", name, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm.Perm())
	}
	if err == nil && c.cred != nil {
		err = tmp.Chown(int(c.cred.Uid), int(c.cred.Gid))
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write server file %s: %w", name, err)
	}
	ok = true
	return nil
}

// mkdirAllOwned creates dir and its missing parents inside the data
// directory with mode 0700, owned by the server user.
func (c *Cluster) mkdirAllOwned(dir string) error {
	if dir == c.dataDir {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := c.mkdirAllOwned(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return chownTo(dir, c.cred)
}

// Reload makes the running server read its configuration files again
// (postgresql.conf and its includes, postgresql.auto.conf, pg_hba.conf,
// pg_ident.conf) by sending SIGHUP to the postmaster, as pg_ctl reload
// does, and waits until sessions opened from then on get the new
// configuration. Settings given in ClusterOptions.Settings stay in force;
// settings that need a restart are not applied.
//
// It returns an error when the cluster is not running, when the files
// contain errors (as pg_file_settings and pg_hba_file_rules report them:
// a syntax error, an invalid value, a setting that needs Restart, a bad
// pg_hba.conf line; the server then keeps the old pg_hba.conf and, after a
// syntax error, every old setting), or when the superuser postgres cannot
// connect over TCP within 30 seconds afterwards.
func (c *Cluster) Reload() error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("reload cluster: %w", err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0) // every query below runs in a new session
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	var before time.Time
	if err := db.QueryRowContext(ctx, "SELECT pg_conf_load_time()").Scan(&before); err != nil {
		return fmt.Errorf("reload cluster: %w", err)
	}
	if err := c.signal(syscall.SIGHUP); err != nil {
		return fmt.Errorf("reload cluster: %w", err)
	}
	for {
		// A new session inherits the postmaster's configuration, and the
		// postmaster forks none while it reloads.
		var loaded time.Time
		err := db.QueryRowContext(ctx, "SELECT pg_conf_load_time()").Scan(&loaded)
		if err == nil && loaded.After(before) {
			return configErrors(ctx, db, false)
		}
		if err == nil {
			// A syntax error leaves the load time as it was.
			if err := configErrors(ctx, db, true); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("reload cluster: server has not reloaded after %s: %w; server log:\n%s", reloadTimeout, err, c.LogTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// signal sends sig to the running postmaster.
func (c *Cluster) signal(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil || c.proc.exited() {
		return errors.New("not running")
	}
	if err := c.proc.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal postmaster: %w", err)
	}
	return nil
}

// configErrors returns the errors in the configuration files as the
// server reads them now, one line per error; with syntaxOnly only syntax
// errors, which keep a reload from changing anything. A file's value of a
// setting given on the command line (ClusterOptions.Settings and the
// harness's own) is no error: the server ignores it, though a
// restart-only one shows as "setting could not be applied".
func configErrors(ctx context.Context, db *sql.DB, syntaxOnly bool) error {
	query := `SELECT format('%s:%s: %s%s', sourcefile, sourceline, coalesce(name || ': ', ''), error)
FROM pg_file_settings
WHERE error IS NOT NULL
  AND (name IS NULL OR NOT $1 AND lower(name) NOT IN (SELECT name FROM pg_settings WHERE source = 'command line'))`
	if !syntaxOnly {
		query += `
UNION ALL
SELECT format('%s:%s: %s', current_setting('hba_file'), line_number, error)
FROM pg_hba_file_rules WHERE error IS NOT NULL`
	}
	rows, err := db.QueryContext(ctx, query, syntaxOnly)
	if err != nil {
		return fmt.Errorf("reload cluster: read configuration errors: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return fmt.Errorf("reload cluster: read configuration errors: %w", err)
		}
		switch {
		case strings.HasSuffix(p, ": setting could not be applied"):
			p += " (an invalid value, or one that needs Restart; the server log says which)"
		case strings.HasSuffix(p, ": syntax error"):
			p += " (no setting was changed)"
		}
		problems = append(problems, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reload cluster: read configuration errors: %w", err)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("reload cluster: the configuration files contain errors:\n%s", strings.Join(problems, "\n"))
}
