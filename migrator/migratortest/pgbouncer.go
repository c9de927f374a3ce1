package migratortest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/pgmig/pgmig/migrator/pgcluster"
)

const (
	// pgbouncerStopTimeout bounds the wait for PgBouncer to exit after
	// SIGINT before it is killed.
	pgbouncerStopTimeout = 5 * time.Second
	// defaultPoolSize is the default of PgBouncerOptions.DefaultPoolSize.
	defaultPoolSize = 5
	// defaultMaxClientConn is the default of PgBouncerOptions.MaxClientConn.
	defaultMaxClientConn = 500
)

// ErrNoPgBouncer is wrapped by the error that reports that the pgbouncer
// program is not installed. Tests are skipped for it (failed under CI).
var ErrNoPgBouncer = errors.New("pgbouncer not found")

// Pool modes of PgBouncerOptions.PoolMode.
const (
	// PoolModeSession gives each client connection its own server
	// connection until the client disconnects.
	PoolModeSession = "session"
	// PoolModeTransaction gives a client a server connection for one
	// transaction (or one statement outside a transaction) at a time.
	PoolModeTransaction = "transaction"
)

// PgBouncerTarget is the upstream PostgreSQL server a PgBouncer forwards
// every database to.
type PgBouncerTarget struct {
	// Host is the server's host name, IP address or unix socket directory;
	// empty means 127.0.0.1.
	Host string
	// Port is the server's port; 0 means 5432.
	Port int
	// User is the role clients connect as; PgBouncer logs in to the server
	// as that role too. Empty means postgres.
	User string
	// Password is the role's password on the server, if it needs one.
	// Clients connect to PgBouncer without a password (trust).
	Password string
	// SSLMode is PgBouncer's server_tls_sslmode towards the server:
	// disable (the default when empty), allow, prefer or require.
	SSLMode string
	// Database is the database the readiness check queries through
	// PgBouncer; empty means postgres.
	Database string
}

// PgBouncerOptions configures a PgBouncer started by StartPgBouncer.
type PgBouncerOptions struct {
	// PoolMode is PoolModeSession (the default when empty) or
	// PoolModeTransaction.
	PoolMode string
	// DefaultPoolSize is the number of server connections per database and
	// user; 0 means 5.
	DefaultPoolSize int
	// MaxClientConn is the number of client connections accepted; 0 means
	// 500.
	MaxClientConn int
	// IgnoreStartupParameters lists startup parameters PgBouncer accepts
	// from clients and drops; nil means extra_float_digits. lib/pq sends
	// only client_encoding and datestyle besides the DSN's options and
	// application_name, which PgBouncer understands.
	IgnoreStartupParameters []string
	// Settings are extra [pgbouncer] settings, written last so that they
	// override the harness defaults.
	Settings map[string]string
}

// PgBouncer is a running PgBouncer, listening on 127.0.0.1, that accepts
// any database name and forwards it to the database of that name on its
// target. Clients connect without a password as the target's user, who is
// also an admin of the console database "pgbouncer".
type PgBouncer struct {
	dir     string
	logPath string
	port    int
	user    string
	proc    *process
}

// StartPgBouncer starts PgBouncer in front of target and stops it and
// removes its directory in t.Cleanup. It waits until a query through it
// succeeds. When pgbouncer is neither on PATH nor in /usr/sbin it skips the
// test (or fails it when CI is set).
func StartPgBouncer(t testing.TB, target PgBouncerTarget, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	b, err := startPgBouncer(target, opts)
	if err != nil {
		if errors.Is(err, ErrNoPgBouncer) && os.Getenv("CI") == "" {
			t.Skipf("skipping test: %v", err)
		}
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := b.destroy(); err != nil {
			t.Errorf("migratortest: %v", err)
		}
	})
	return b
}

// StartPgBouncer starts a PgBouncer in front of the cluster, as the
// package-level StartPgBouncer does.
func (c *Cluster) StartPgBouncer(t testing.TB, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	return StartPgBouncer(t, c.PgBouncerTarget(), opts)
}

// StartPgBouncer starts a PgBouncer in front of the server, as the
// package-level StartPgBouncer does.
func (s *Server) StartPgBouncer(t testing.TB, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	target, err := s.PgBouncerTarget()
	if err != nil {
		t.Fatalf("migratortest: %v", err)
	}
	return StartPgBouncer(t, target, opts)
}

// PgBouncerTarget returns the target that makes a PgBouncer forward to the
// cluster.
func (c *Cluster) PgBouncerTarget() PgBouncerTarget {
	return PgBouncerTarget{Host: "127.0.0.1", Port: c.Port(), User: "postgres", SSLMode: "disable"}
}

// PgBouncerTarget returns the target that makes a PgBouncer forward to the
// server: its host, port, user and password as lib/pq would connect (the
// DSN, then PG* environment variables, then lib/pq's defaults).
func (s *Server) PgBouncerTarget() (PgBouncerTarget, error) {
	if s.cluster != nil {
		return s.cluster.PgBouncerTarget(), nil
	}
	cfg, err := pq.NewConfig(s.base)
	if err != nil {
		return PgBouncerTarget{}, fmt.Errorf("pgbouncer target: parse server dsn: %w", err)
	}
	host := cfg.Host
	if cfg.Hostaddr.IsValid() {
		host = cfg.Hostaddr.String()
	}
	sslmode := "prefer"
	switch cfg.SSLMode {
	case pq.SSLModeDisable:
		sslmode = "disable"
	case pq.SSLModeRequire, pq.SSLModeVerifyCA, pq.SSLModeVerifyFull:
		sslmode = "require"
	}
	return PgBouncerTarget{
		Host:     host,
		Port:     int(cfg.Port),
		User:     cfg.User,
		Password: cfg.Password,
		SSLMode:  sslmode,
		Database: cfg.Database,
	}, nil
}

// DSN returns the lib/pq key=value DSN of database dbname through the
// PgBouncer; dbname "pgbouncer" is its admin console.
func (b *PgBouncer) DSN(dbname string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s sslmode=disable dbname=%s",
		b.port, quoteDSNValue(b.user), quoteDSNValue(dbname))
}

// Port returns the TCP port the PgBouncer listens on at 127.0.0.1.
func (b *PgBouncer) Port() int { return b.port }

// LogFile returns the path of the file PgBouncer writes its log to.
func (b *PgBouncer) LogFile() string { return b.logPath }

// findPgBouncer returns the path of the pgbouncer program: on PATH, else
// Debian's /usr/sbin/pgbouncer, which is not on a normal user's PATH.
func findPgBouncer() (string, error) {
	if path, err := exec.LookPath("pgbouncer"); err == nil {
		return path, nil
	}
	const debian = "/usr/sbin/pgbouncer"
	if fi, err := os.Stat(debian); err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0 {
		return debian, nil
	}
	return "", fmt.Errorf("%w on PATH or at %s", ErrNoPgBouncer, debian)
}

// startPgBouncer writes the configuration, starts PgBouncer on a free port
// and waits until it serves queries.
func startPgBouncer(target PgBouncerTarget, opts PgBouncerOptions) (_ *PgBouncer, err error) {
	path, err := findPgBouncer()
	if err != nil {
		return nil, err
	}
	if target.User == "" {
		target.User = "postgres"
	}
	if target.Database == "" {
		target.Database = "postgres"
	}
	cred, err := pgcluster.ServerCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgmig-pgbouncer-")
	if err != nil {
		return nil, fmt.Errorf("create pgbouncer directory: %w", err)
	}
	b := &PgBouncer{dir: dir, logPath: filepath.Join(dir, "pgbouncer.log"), user: target.User}
	defer func() {
		if err != nil {
			_ = b.destroy()
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict pgbouncer directory: %w", err)
	}
	authPath := filepath.Join(dir, "userlist.txt")
	auth := pgbouncerQuote(target.User) + " " + pgbouncerQuote(target.Password) + "\n"
	if err := os.WriteFile(authPath, []byte(auth), 0o600); err != nil {
		return nil, fmt.Errorf("write pgbouncer auth file: %w", err)
	}
	iniPath := filepath.Join(dir, "pgbouncer.ini")
	if cred != nil {
		for _, p := range []string{dir, authPath} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("hand %s to uid %d: %w", p, cred.Uid, err)
			}
		}
		if err := pgcluster.CheckTraversable(dir, cred); err != nil {
			return nil, err
		}
	}
	// Another process may take the free port before PgBouncer binds it;
	// then try another one.
	for attempt := 1; ; attempt++ {
		if b.port, err = freePort(); err != nil {
			return nil, err
		}
		ini, err := pgbouncerConfig(target, opts, b.port, authPath)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(iniPath, []byte(ini), 0o600); err != nil {
			return nil, fmt.Errorf("write pgbouncer.ini: %w", err)
		}
		if cred != nil {
			if err := os.Chown(iniPath, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("hand pgbouncer.ini to uid %d: %w", cred.Uid, err)
			}
		}
		err = b.start(path, iniPath, cred, target.Database)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return b, err
		}
	}
}

// pgbouncerConfig returns the text of pgbouncer.ini.
func pgbouncerConfig(target PgBouncerTarget, opts PgBouncerOptions, port int, authPath string) (string, error) {
	host := target.Host
	if host == "" {
		host = "127.0.0.1"
	}
	upstreamPort := target.Port
	if upstreamPort == 0 {
		upstreamPort = 5432
	}
	mode := opts.PoolMode
	if mode == "" {
		mode = PoolModeSession
	}
	if mode != PoolModeSession && mode != PoolModeTransaction {
		return "", fmt.Errorf("pgbouncer: unknown pool mode %q (want %s or %s)", mode, PoolModeSession, PoolModeTransaction)
	}
	poolSize := opts.DefaultPoolSize
	if poolSize == 0 {
		poolSize = defaultPoolSize
	}
	maxClients := opts.MaxClientConn
	if maxClients == 0 {
		maxClients = defaultMaxClientConn
	}
	ignore := opts.IgnoreStartupParameters
	if ignore == nil {
		ignore = []string{"extra_float_digits"}
	}
	sslmode := target.SSLMode
	if sslmode == "" {
		sslmode = "disable"
	}
	settings := [][2]string{
		{"listen_addr", "127.0.0.1"},
		{"listen_port", strconv.Itoa(port)},
		// No unix socket: every test instance would want /tmp/.s.PGSQL.6432.
		{"unix_socket_dir", ""},
		{"auth_type", "trust"},
		{"auth_file", authPath},
		{"admin_users", target.User},
		{"pool_mode", mode},
		{"default_pool_size", strconv.Itoa(poolSize)},
		{"max_client_conn", strconv.Itoa(maxClients)},
		{"ignore_startup_parameters", strings.Join(ignore, ",")},
		{"server_tls_sslmode", sslmode},
		// Retry a failed server login after 1s, not 15s, for tests that
		// restart the server behind PgBouncer.
		{"server_login_retry", "1"},
	}
	names := make([]string, 0, len(opts.Settings))
	for name := range opts.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		settings = append(settings, [2]string{name, opts.Settings[name]})
	}
	for _, kv := range settings {
		if strings.ContainsAny(kv[0]+kv[1], "\n\r") {
			return "", fmt.Errorf("pgbouncer: setting %s has a line break", kv[0])
		}
	}

	var w strings.Builder
	w.WriteString("[databases]\n")
	conn := "host=" + pgbouncerConnValue(host) + " port=" + strconv.Itoa(upstreamPort)
	fmt.Fprintf(&w, "* = %s\n\n[pgbouncer]\n", conn)
	for _, kv := range settings {
		fmt.Fprintf(&w, "%s = %s\n", kv[0], kv[1])
	}
	return w.String(), nil
}

// pgbouncerQuote double-quotes s for the auth file.
func pgbouncerQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// pgbouncerConnValue returns v for a connection string in [databases],
// single-quoted if needed.
func pgbouncerConnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t'\\=") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// start runs pgbouncer in the foreground as cred and waits until it serves
// a query on database dbname.
func (b *PgBouncer) start(path, iniPath string, cred *syscall.Credential, dbname string) error {
	// PgBouncer's own logfile setting would also log to stderr in the
	// foreground; one file gets both its log and any early error.
	logFile, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open pgbouncer log: %w", err)
	}
	if cred != nil {
		if err := logFile.Chown(int(cred.Uid), int(cred.Gid)); err != nil {
			logFile.Close()
			return fmt.Errorf("hand pgbouncer log to uid %d: %w", cred.Uid, err)
		}
	}
	cmd := exec.Command(path, iniPath)
	cmd.Dir = b.dir
	cmd.Env = append(cleanEnv(), "HOME="+b.dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// An aborted test process takes its PgBouncer down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start pgbouncer: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	if err := b.waitReady(p, dbname); err != nil {
		_ = cmd.Process.Kill()
		<-p.done
		return err
	}
	b.proc = p
	return nil
}

// cleanEnv returns the environment without PG*, LC_ALL and HOME, with
// LC_ALL=C.
func cleanEnv() []string {
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_ALL=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls until SELECT 1 on dbname through PgBouncer succeeds,
// PgBouncer exits or readyTimeout passes.
func (b *PgBouncer) waitReady(p *process, dbname string) error {
	db, err := sql.Open("postgres", b.DSN(dbname))
	if err != nil {
		return fmt.Errorf("open pgbouncer readiness connection: %w", err)
	}
	defer db.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var one int
		err = db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("pgbouncer exited during startup (%v); log:\n%s", p.err, b.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgbouncer not serving queries after %s: %w; log:\n%s", readyTimeout, err, b.logTail())
		}
	}
}

// logTail returns the end of the PgBouncer log.
func (b *PgBouncer) logTail() string {
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		return fmt.Sprintf("(read pgbouncer log: %v)", err)
	}
	return tail(data)
}

// destroy stops PgBouncer (SIGINT, then SIGKILL after a timeout) and
// removes its directory.
func (b *PgBouncer) destroy() error {
	p := b.proc
	b.proc = nil
	var errs []error
	if p != nil && !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(pgbouncerStopTimeout):
			// A safe shutdown waits for clients that still hold a server
			// connection; a test that leaves them open pays no more.
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if err := os.RemoveAll(b.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove pgbouncer directory: %w", err))
	}
	return errors.Join(errs...)
}
