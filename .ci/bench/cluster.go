package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// cluster is a throwaway PostgreSQL cluster with the default durability
// settings (fsync, synchronous_commit and full_page_writes on), listening on
// 127.0.0.1 with trust authentication for the superuser postgres.
type cluster struct {
	dir   string // owned by the server user; removed by stop
	port  int
	cred  *syscall.Credential // nil: run the server as the current user
	proc  *exec.Cmd
	done  chan error
	admin *sql.DB // connection to the postgres database
}

// findBindir returns dir when set, else the directory of initdb on PATH,
// else the highest /usr/lib/postgresql/*/bin.
func findBindir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real // /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb not found: pass -pg-bindir")
}

func pgVersion(bindir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(bindir)), 64)
	return v
}

// startCluster runs initdb and starts postgres on a free port. The caller
// must call stop, which also removes the directory.
func startCluster(bindir string) (_ *cluster, err error) {
	c := &cluster{}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the OS user postgres to run the server: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if c.dir, err = os.MkdirTemp("", "pgmig-bench-pg-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.command(filepath.Join(bindir, "initdb"), "-D", data, "--auth=trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	logFile, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("pgmig-bench-postgres-%d.log", os.Getpid())))
	if err != nil {
		return nil, err
	}
	// Durability settings are left at their defaults on purpose.
	c.proc = c.command(filepath.Join(bindir, "postgres"), "-D", data, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir)
	c.proc.Stdout, c.proc.Stderr = logFile, logFile
	c.proc.SysProcAttr.Pdeathsig = syscall.SIGQUIT // the server dies with the driver
	if err := c.proc.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.done = make(chan error, 1)
	go func() { c.done <- c.proc.Wait(); logFile.Close() }()
	if c.admin, err = sql.Open("postgres", c.dsn("postgres")); err != nil {
		return nil, err
	}
	c.admin.SetMaxOpenConns(1)
	for deadline := time.Now().Add(60 * time.Second); ; {
		if err = c.admin.Ping(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("postgres not ready: %w (log: %s)", err, logFile.Name())
		}
		select {
		case werr := <-c.done:
			c.done <- werr
			return nil, fmt.Errorf("postgres exited at startup: %v (log: %s)", werr, logFile.Name())
		case <-time.After(100 * time.Millisecond):
		}
	}
	os.Remove(logFile.Name()) // still open and written by the server; nothing to clean up later
	return c, nil
}

func (c *cluster) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = c.dir
	cmd.Env = append(cleanEnv(), "LC_ALL=C", "HOME="+c.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// cleanEnv is the environment without PG* and pgmig's connection variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "DATABASE_URL=") ||
			strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// stop shuts the server down (fast) and removes its directory.
func (c *cluster) stop() {
	if c.admin != nil {
		c.admin.Close()
	}
	if c.proc != nil && c.proc.Process != nil && c.done != nil {
		_ = c.proc.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(60 * time.Second):
			_ = c.proc.Process.Kill()
			<-c.done
		}
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

func (c *cluster) dsn(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable dbname=%s", c.port, db)
}

func (c *cluster) url(port int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}

// freshDB creates an empty database and checkpoints, so that every timed
// run starts from the same state.
func (c *cluster) freshDB(ctx context.Context, name string) error {
	if err := c.dropDB(ctx, name); err != nil {
		return err
	}
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	_, err := c.admin.ExecContext(ctx, "CHECKPOINT")
	return err
}

func (c *cluster) dropDB(ctx context.Context, name string) error {
	if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
