package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// The helpers of the cmd/pgmig tests: one way to run the command line
// in-process (pgmig, pgmigWith), one way to run the built binary as a real
// process (startPgmig), and one environment rule for both (connEnv).

// connEnv are the variables that steer a connection: every variable lib/pq
// reads (TestConnEnvCoversLibpq keeps the list complete), those it refuses
// to start with, the other libpq ones, and pgmig's own. The environment rule
// of every run: all of them unset, and HOME an empty directory, so that no
// ~/.pgpass, ~/.pg_service.conf or ~/.postgresql/ of the machine counts.
var connEnv = []string{
	"PGMIG_DATABASE_URL", "DATABASE_URL",
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE",
	"PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGAPPNAME", "PGCONNECT_TIMEOUT",
	"PGSSLMODE", "PGSSLCERT", "PGSSLKEY", "PGSSLROOTCERT", "PGSSLCRL", "PGSSLCRLDIR", "PGSSLSNI",
	"PGSSLNEGOTIATION", "PGSSLCERTMODE", "PGSSLCOMPRESSION", "PGREQUIRESSL", "PGREQUIREAUTH",
	"PGREQUIREPEER", "PGCHANNELBINDING", "PGGSSENCMODE", "PGGSSDELEGATION", "PGGSSLIB",
	"PGKRBSRVNAME", "PGREALM", "PGTARGETSESSIONATTRS", "PGLOADBALANCEHOSTS",
	"PGMINPROTOCOLVERSION", "PGMAXPROTOCOLVERSION", "PGTZ", "PGDATESTYLE", "PGGEQO",
	"PGCLIENTENCODING", "PGSSLMINPROTOCOLVERSION", "PGSSLMAXPROTOCOLVERSION",
	"SSLPGMINPROTOCOLVERSION", "SSLPGMAXPROTOCOLVERSION", // sic: what lib/pq v1.12 reads for the two above
}

// clearEnv applies the environment rule to the test process until t ends.
// The variables are unset, not set to "": lib/pq refuses some
// (PGREQUIRESSL, PGGSSENCMODE, ...) when they are set at all.
func clearEnv(t testing.TB) {
	t.Helper()
	for _, k := range connEnv {
		t.Setenv(k, "") // restores the old value when t ends
		os.Unsetenv(k)
	}
	for _, kv := range os.Environ() { // every flag's PGMIG_* variable too
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PGMIG_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("HOME", t.TempDir())
}

// runTimeout is how long an in-process run may take unless told otherwise.
const runTimeout = 2 * time.Minute

// runOptions adjust one in-process run.
type runOptions struct {
	env     map[string]string // set after the environment rule
	timeout time.Duration     // a run that takes longer fails the test; 0 means runTimeout
	unblock func()            // called every 100ms once the run is past timeout, to let it return
}

// pgmig runs the command line in-process, as `pgmig args...`, under the
// environment rule, and returns its exit code, stdout and stderr.
func pgmig(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return pgmigWith(t, runOptions{}, args...)
}

// pgmigWith is pgmig with options. A run past its timeout fails the test;
// it is then given a minute more (with o.unblock called every 100ms)
// before it is abandoned and the test stopped.
func pgmigWith(t testing.TB, o runOptions, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	clearEnv(t)
	for k, v := range o.env {
		t.Setenv(k, v)
	}
	timeout := o.timeout
	if timeout == 0 {
		timeout = runTimeout
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		c := run(args, &out, &errOut)
		done <- result{c, out.String(), errOut.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(timeout):
	}
	t.Errorf("pgmig %s did not return within %s", strings.Join(args, " "), timeout)
	giveUp := time.After(time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if o.unblock != nil {
			o.unblock()
		}
		select {
		case r := <-done:
			return r.code, r.stdout, r.stderr
		case <-giveUp:
			t.Fatalf("pgmig %s still running a minute after its timeout; abandoned", strings.Join(args, " "))
		case <-tick.C:
		}
	}
}

// processEnv is the environment the test process started with.
var processEnv = os.Environ()

// binary is the pgmig binary of the test process, built on first use by
// pgmigBinary and removed by TestMain.
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// pgmigBinary builds the pgmig binary once per test process and returns
// its path.
func pgmigBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "pgmig-test-"); binary.err != nil {
			return
		}
		path := filepath.Join(binary.dir, "pgmig")
		cmd := exec.Command("go", "build", "-o", path, ".")
		cmd.Env = processEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = &buildError{err, out}
			return
		}
		binary.path = path
	})
	if binary.err != nil {
		t.Fatalf("go build: %v", binary.err)
	}
	return binary.path
}

type buildError struct {
	err    error
	output []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.output) }

// removeBinary removes what pgmigBinary built.
func removeBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

// processBound is how long a pgmig process may run before proc.wait takes
// it for hung.
const processBound = 90 * time.Second

// proc is a pgmig process started by startPgmig.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer // read them once the process has exited
	done           chan struct{}
	code           int // exit code once done; -1 when killed by a signal
}

// startPgmig starts the pgmig binary with args under the environment rule;
// it is killed should the test process die.
func startPgmig(t testing.TB, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(pgmigBinary(t), args...), done: make(chan struct{})}
	drop := map[string]bool{"HOME": true}
	for _, k := range connEnv {
		drop[k] = true
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] && !strings.HasPrefix(k, "PGMIG_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, "HOME="+t.TempDir())
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pgmig: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	return p
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit, failing the test (after killing it)
// when it runs longer than processBound, and returns its exit code.
func (p *proc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(processBound):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("pgmig hangs: still running %s after it should have ended\nstderr:\n%s", processBound, p.stderr.String())
		return 0
	}
}

// sleepOrExit sleeps d, returning early (true) when the process exits.
func (p *proc) sleepOrExit(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// writeMigrations writes files (name -> content) into a new folder and
// returns its path.
func writeMigrations(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	return dir
}

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileHash is the hash pgmig stores for a migration: the SHA-1 of the file
// name followed by the content, in hex.
func fileHash(name string, content []byte) string {
	h := sha1.New()
	h.Write([]byte(name))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// randomHex returns n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// relationExists reports whether the relation name (a regclass literal)
// exists in the database of db.
func relationExists(t testing.TB, db *sql.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// lockHolders counts the sessions holding the migration lock in the
// database of db.
func lockHolders(t testing.TB, db *sql.DB) int {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((classid::bigint << 32) | objid::bigint) = $1`, migrator.LockKey).Scan(&n)
	if err != nil {
		t.Fatalf("read pg_locks: %v", err)
	}
	return n
}
