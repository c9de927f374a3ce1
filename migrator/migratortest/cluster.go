package migratortest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver
)

const (
	// readyTimeout bounds the wait for a starting server to accept connections.
	readyTimeout = 60 * time.Second
	// stopTimeout bounds the wait for a server to exit after a stop signal.
	stopTimeout = 60 * time.Second
	// logTailBytes is how much of the server log goes into error messages.
	logTailBytes = 4096
	// maxSocketPath is the longest unix socket path the kernel accepts.
	maxSocketPath = 107
)

// ClusterOptions configures a cluster started by NewCluster or
// StartCluster.
type ClusterOptions struct {
	// Settings are extra server settings, passed as -c name=value; they
	// override the harness defaults and every configuration file, from the
	// first start on (see WriteFile for settings that need files that only
	// exist after initdb).
	Settings map[string]string
	// Durable keeps the default durability settings. When false (the
	// default), fsync, full_page_writes and synchronous_commit are off for
	// speed, so that data may be lost on an OS crash (not on a server crash).
	Durable bool
	// BinDir is the directory holding initdb and postgres. Empty means
	// $PGMIG_PG_BINDIR, then PATH, then the highest-numbered
	// /usr/lib/postgresql/*/bin.
	BinDir string
}

// Cluster is a private throwaway PostgreSQL cluster in a temporary
// directory, listening on 127.0.0.1 with trust authentication for the
// superuser postgres, made by NewCluster or StartCluster (or StartStandby).
// Its methods are safe for concurrent use.
type Cluster struct {
	bins     binaries
	dir      string // temporary root directory, owned by the server user
	dataDir  string
	sockDir  string // empty when the socket path would be too long
	logPath  string
	port     int
	cred     *syscall.Credential // nil: run as the current user
	settings []string            // name=value, passed as -c

	mu   sync.Mutex
	proc *process // nil when stopped
}

// process is a running postmaster.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // result of Wait, valid once done is closed
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// StartCluster starts a new private throwaway cluster with NewCluster, for
// tests that must crash, stop or restart the server. It is closed (stopped,
// its directory removed) in t.Cleanup. When no PostgreSQL binaries are found
// it skips the test (or fails it when CI is set); other errors fail it.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	c, err := NewCluster(opts)
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("remove test cluster: %v", err)
		}
	})
	return c
}

// NewCluster creates a throwaway cluster in a new temporary directory
// (initdb, trust authentication for the superuser postgres), starts it on
// a free port of 127.0.0.1 and waits until it accepts connections. It needs
// no testing.TB, so programs such as benchmark drivers can use it too.
// When the process runs as root, the server runs as the OS user postgres,
// or nobody when there is no postgres; every parent of the temporary
// directory ($TMPDIR) must then be searchable by that user.
//
// The caller must call Close, which stops the server and removes the
// directory; a process that dies without it takes the server down with it
// (parent-death signal), but leaves the directory behind.
//
// The error wraps ErrNoPostgres when initdb and postgres cannot be found;
// opts.BinDir or PGMIG_PG_BINDIR without them is an error of its own.
// Errors of initdb and of the server's start carry the end of its output.
func NewCluster(opts ClusterOptions) (*Cluster, error) {
	return newCluster(opts)
}

// newCluster is NewCluster, with a named error for its cleanup.
func newCluster(opts ClusterOptions) (_ *Cluster, err error) {
	bins, err := findBinaries(opts.BinDir)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgmig-test-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{
		bins:     bins,
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		logPath:  filepath.Join(dir, "postgres.log"),
		cred:     cred,
		settings: clusterSettings(opts),
	}
	if len(dir)+len("/.s.PGSQL.65535") <= maxSocketPath {
		c.sockDir = dir
	}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict cluster directory: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("hand cluster directory to uid %d: %w", cred.Uid, err)
		}
		if err := checkTraversable(dir, cred); err != nil {
			return nil, err
		}
	}
	if err := c.initdb(); err != nil {
		return nil, err
	}
	// Another process may take the free port before the server binds it;
	// then try another one.
	for attempt := 1; ; attempt++ {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		err = c.Start()
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return c, err
		}
	}
}

// clusterSettings returns the -c settings of a cluster, the user's last so
// that they win.
func clusterSettings(opts ClusterOptions) []string {
	s := []string{"listen_addresses=127.0.0.1"}
	if !opts.Durable {
		s = append(s, "fsync=off", "full_page_writes=off", "synchronous_commit=off")
	}
	names := make([]string, 0, len(opts.Settings))
	for name := range opts.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s = append(s, name+"="+opts.Settings[name])
	}
	return s
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// command prepares a server program run as the server user in the cluster
// directory, without PG* variables from the environment.
func (c *Cluster) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = c.dir
	env := []string{"LC_ALL=C", "HOME=" + c.dir}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_ALL=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// initdb creates the data directory.
func (c *Cluster) initdb() error {
	cmd := c.command(c.bins.initdb, "-D", c.dataDir, "--auth=trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, tail(out))
	}
	return nil
}

// Start starts the stopped cluster again on the same port and data
// directory and waits until it accepts connections. It returns an error
// when the cluster is running, or with the end of the server log when the
// server exits or is not ready within a minute.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil && !c.proc.exited() {
		return errors.New("start cluster: already running")
	}
	c.proc = nil
	args := []string{"-D", c.dataDir, "-p", fmt.Sprint(c.port), "-c", "unix_socket_directories=" + c.sockDir}
	for _, s := range c.settings {
		args = append(args, "-c", s)
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	cmd := c.command(c.bins.postgres, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// An aborted test process takes its server down with it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	if err := c.waitReady(p); err != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
		return err
	}
	c.proc = p
	return nil
}

// waitReady polls the server until it accepts connections, it exits or
// readyTimeout passes.
func (c *Cluster) waitReady(p *process) error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open readiness connection: %w", err)
	}
	defer db.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during startup (%v); server log:\n%s", p.err, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w; server log:\n%s", readyTimeout, err, c.logTail())
		}
	}
}

// stopSignals maps shutdown modes to the signals the postmaster takes.
var stopSignals = map[string]syscall.Signal{
	"smart":     syscall.SIGTERM,
	"fast":      syscall.SIGINT,
	"immediate": syscall.SIGQUIT,
}

// Stop shuts the cluster down in mode "smart" (wait for clients to
// disconnect), "fast" (roll back and disconnect clients) or "immediate"
// (crash, recovery runs on the next start) by sending SIGTERM, SIGINT or
// SIGQUIT to the postmaster, and waits until it has exited.
func (c *Cluster) Stop(mode string) error {
	sig, ok := stopSignals[mode]
	if !ok {
		return fmt.Errorf("stop cluster: unknown mode %q (want smart, fast or immediate)", mode)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.proc
	if p == nil || p.exited() {
		c.proc = nil
		return errors.New("stop cluster: not running")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("stop cluster: signal postmaster: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("stop cluster: postgres still running %s after %s shutdown", stopTimeout, mode)
	}
	c.proc = nil
	return nil
}

// Restart stops the cluster in mode (smart, fast or immediate, as Stop)
// and starts it again on the same port and data directory, so that the
// server reads every configuration file anew and, after "immediate", runs
// crash recovery. It returns Stop's error without starting when the mode is
// unknown or the cluster is not running, else Start's error. Sessions of
// open *sql.DB handles end; database/sql opens new ones on their next use.
func (c *Cluster) Restart(mode string) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	return c.Start()
}

// Close stops the cluster (fast shutdown, SIGKILL after a minute) and
// removes its directory. Calling it again does nothing. The error reports
// a server that had to be killed or a directory that could not be removed.
func (c *Cluster) Close() error {
	c.mu.Lock()
	p := c.proc
	c.proc = nil
	c.mu.Unlock()
	var errs []error
	if p != nil && !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("postgres did not stop within %s of a fast shutdown and was killed", stopTimeout))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// baseDSN is the key=value DSN of the cluster without dbname.
func (c *Cluster) baseDSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable", c.port)
}

// DSN returns the lib/pq key=value DSN of database dbname on the cluster,
// connecting as the superuser postgres over TCP.
func (c *Cluster) DSN(dbname string) string {
	return c.baseDSN() + " dbname=" + quoteDSNValue(dbname)
}

// Port returns the TCP port the cluster listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// DataDir returns the cluster's data directory. Its files belong to the OS
// user running the server; write them with WriteFile.
func (c *Cluster) DataDir() string { return c.dataDir }

// BinDir returns the directory of the postgres program running the
// cluster, with symbolic links resolved, where the client programs of the
// same build (psql, pg_dump) usually are too.
func (c *Cluster) BinDir() string {
	path := c.bins.postgres
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // /usr/local/bin/postgres -> /usr/lib/postgresql/15/bin/postgres
	}
	return filepath.Dir(path)
}

// LogFile returns the path of the file the server writes its log to.
func (c *Cluster) LogFile() string { return c.logPath }

// logTail returns the end of the server log.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(read server log: %v)", err)
	}
	return tail(b)
}

// tail returns the last logTailBytes of b, starting at a line.
func tail(b []byte) string {
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(bytes.TrimRight(b, "\n"))
}
