package pgcluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// Options configures a cluster started by Start.
type Options struct {
	// Settings are extra server settings, passed as -c name=value; they
	// override the defaults and every configuration file, from the first
	// start on (see WriteFile for settings that need files that only exist
	// after initdb).
	Settings map[string]string
	// Durable keeps the default durability settings. When false (the
	// default), fsync, full_page_writes and synchronous_commit are off for
	// speed, so that data may be lost on an OS crash (not on a server crash).
	Durable bool
	// BinDir is the directory holding initdb and postgres. Empty means
	// $PGMIG_PG_BINDIR, else a search of PATH, /usr/lib/postgresql/*/bin
	// and /var/tmp/pgmig-pg/*/native/bin.
	BinDir string
	// PreferMajor picks, when BinDir and PGMIG_PG_BINDIR are empty and the
	// search finds several builds, one of this major version (for example
	// 15) if there is one; 0, or no build of that version, means the first
	// found: the one on PATH, else the newest.
	PreferMajor int
}

// Cluster is a private throwaway PostgreSQL cluster in a temporary
// directory, listening on 127.0.0.1 with trust authentication for the
// superuser postgres, made by Start or StartStandby. Its methods are safe
// for concurrent use.
type Cluster struct {
	bins     binaries
	opts     Options
	dir      string // temporary root directory, owned by the server user
	dataDir  string
	sockDir  string // empty when the socket path would be too long
	logPath  string
	port     int
	major    int                 // major version of the data directory
	cred     *syscall.Credential // nil: run as the current user
	settings []string            // name=value, passed as -c

	mu   sync.Mutex
	proc *process // nil when stopped
}

// Start creates a throwaway cluster in a new temporary directory (initdb,
// trust authentication for the superuser postgres, UTF8, locale C), starts
// it on a free port of 127.0.0.1 and waits until it accepts connections;
// ctx bounds initdb and the wait. When the process runs as root, the
// server runs as the OS user postgres, or nobody when there is no
// postgres; every parent of the temporary directory ($TMPDIR) must then be
// searchable by that user.
//
// The caller must call Close, which stops the server and removes the
// directory; a process that dies without it takes the server down with it
// (parent-death signal), but leaves the directory behind.
//
// The error wraps ErrNoServer when initdb and postgres cannot be found;
// opts.BinDir or PGMIG_PG_BINDIR without them is an error of its own.
// Errors of initdb and of the server's start carry the end of its output.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	bins, err := findBinaries(opts.BinDir, opts.PreferMajor)
	if err != nil {
		return nil, err
	}
	c, err := newCluster("pgmig-cluster-", bins, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	if c.cred != nil {
		if err := CheckTraversable(c.dir, c.cred); err != nil {
			return nil, err
		}
	}
	if err := c.initdb(ctx); err != nil {
		return nil, err
	}
	if err := c.readMajor(); err != nil {
		return nil, err
	}
	return c, c.startOnFreePort(ctx)
}

// newCluster makes the directory of a cluster that is not initialised yet,
// owned by the server user.
func newCluster(prefix string, bins binaries, opts Options) (*Cluster, error) {
	cred, err := ServerCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{
		bins:     bins,
		opts:     opts,
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		logPath:  filepath.Join(dir, "postgres.log"),
		cred:     cred,
		settings: clusterSettings(opts),
	}
	if len(dir)+len("/.s.PGSQL.65535") <= maxSocketPath {
		c.sockDir = dir
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("restrict cluster directory: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("hand cluster directory to uid %d: %w", cred.Uid, err)
		}
	}
	return c, nil
}

// startOnFreePort starts the initialised cluster on a free port. Another
// process may take the free port before the server binds it; then it tries
// another one.
func (c *Cluster) startOnFreePort(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.port = port
		err = c.start(ctx)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return err
		}
	}
}

// readMajor reads the major version of the data directory.
func (c *Cluster) readMajor() error {
	b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("read server version: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("parse PG_VERSION %q: %w", b, err)
	}
	c.major = v
	return nil
}

// Major returns the major version of the cluster, for example 15.
func (c *Cluster) Major() int { return c.major }

// clusterSettings returns the -c settings of a cluster, the user's last so
// that they win.
func clusterSettings(opts Options) []string {
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

// Command prepares the program at path (a server or client program such as
// pg_basebackup) to run as the OS user that runs the server, in the
// cluster directory, with LC_ALL=C and without PG* variables from the
// environment. It is killed when the calling process dies.
func (c *Cluster) Command(path string, args ...string) *exec.Cmd {
	return c.commandContext(context.Background(), path, args...)
}

// commandContext is Command, killed when ctx ends.
func (c *Cluster) commandContext(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
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
func (c *Cluster) initdb(ctx context.Context) error {
	cmd := c.commandContext(ctx, c.bins.initdb, "-D", c.dataDir, "--auth=trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, tail(out))
	}
	return nil
}

// DSN returns the lib/pq key=value DSN of database dbname on the cluster,
// connecting as the superuser postgres over TCP.
func (c *Cluster) DSN(dbname string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable dbname=%s", c.port, quoteDSNValue(dbname))
}

// URL returns the postgres:// URL of database dbname on the cluster,
// connecting as the superuser postgres over TCP.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", c.port),
		Path: "/" + dbname, RawQuery: "sslmode=disable"}
	return u.String()
}

// dsnQuoter escapes a value for single quotes in a key=value DSN.
var dsnQuoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// quoteDSNValue quotes v for a lib/pq key=value DSN.
func quoteDSNValue(v string) string {
	return "'" + dsnQuoter.Replace(v) + "'"
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

// LogTail returns the end of the server log (its last 4 KiB), for error
// messages.
func (c *Cluster) LogTail() string {
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
