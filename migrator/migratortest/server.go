package migratortest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// databaseURLEnv names the environment variable with the DSN of an existing
// server to use instead of a throwaway cluster.
const databaseURLEnv = "PGMIG_TEST_DATABASE_URL"

// Server is a PostgreSQL server that tests create their databases on:
// either the server of PGMIG_TEST_DATABASE_URL or a throwaway cluster.
type Server struct {
	base    string   // key=value DSN; DSN appends a dbname that overrides any in it
	cluster *Cluster // the shared throwaway cluster, stopped by Main; else nil
	admin   *sql.DB  // for CREATE and DROP DATABASE

	mu      sync.Mutex
	version int // major version, 0 until known
}

// shared is the server of the test process, made on first use.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the shared test server of the process, starting it on
// first use. When no PostgreSQL is available it skips the test (or fails it
// when CI is set).
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = openShared() })
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.srv
}

// Main runs the tests of a package and then stops the shared throwaway
// cluster, if one was started, and removes its directory. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }
//
// It returns the exit code of m.Run, or 1 if the tests passed but the
// cluster could not be removed.
func Main(m *testing.M) int {
	code := m.Run()
	// Once.Do also waits for a start still in progress and keeps later
	// callers from starting a cluster nobody would stop.
	shared.once.Do(func() { shared.err = errors.New("shared test server requested after Main finished") })
	if err := shared.srv.close(); err != nil {
		fmt.Fprintf(os.Stderr, "migratortest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// unavailable ends a test that cannot get a server: a skip when no
// PostgreSQL exists here (ErrNoPostgres) and CI is unset, otherwise a
// failure.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if skippable(err) {
		t.Skipf("skipping test: %v", err)
	}
	t.Fatalf("migratortest: %v", err)
}

// skippable reports whether err lets a test skip rather than fail.
func skippable(err error) bool {
	return errors.Is(err, ErrNoPostgres) && os.Getenv("CI") == ""
}

// openShared opens the server of PGMIG_TEST_DATABASE_URL, or else starts a
// throwaway cluster.
func openShared() (*Server, error) {
	if dsn := os.Getenv(databaseURLEnv); dsn != "" {
		srv, err := OpenServer(dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", databaseURLEnv, err)
		}
		return srv, nil
	}
	c, err := NewCluster(ClusterOptions{})
	if err != nil {
		return nil, err
	}
	srv, err := openServer(c.baseDSN(), c.DSN("postgres"))
	if err != nil {
		return nil, errors.Join(err, c.Close())
	}
	srv.cluster = c
	return srv, nil
}

// OpenServer connects to an existing server given by a URL or key=value
// DSN; the databases it creates go there. Its database is used to create
// and drop the others. Close it after the tests using it have finished
// (their cleanups drop their databases through it); the shared server needs
// no Close.
func OpenServer(dsn string) (*Server, error) {
	base, err := keyValueDSN(dsn)
	if err != nil {
		return nil, err
	}
	return openServer(base, base)
}

// Server returns a Server for the cluster, to create databases on it with
// Server.NewDatabase. Its connections are closed in t.Cleanup, after the
// cleanups of databases made through it later in the same test.
func (c *Cluster) Server(t testing.TB) *Server {
	t.Helper()
	srv, err := openServer(c.baseDSN(), c.DSN("postgres"))
	if err != nil {
		t.Fatalf("migratortest: %v", err)
	}
	t.Cleanup(func() { _ = srv.admin.Close() })
	return srv
}

// openServer makes a Server with base DSN base and checks that adminDSN
// accepts connections.
func openServer(base, adminDSN string) (*Server, error) {
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return nil, fmt.Errorf("open server connection: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to server: %w", err)
	}
	admin.SetMaxIdleConns(2)
	return &Server{base: base, admin: admin}, nil
}

// Close closes the connections of a Server from OpenServer. It does
// nothing on the shared server, which Main closes.
func (s *Server) Close() error {
	if s == nil || s.cluster != nil { // only the shared server owns a cluster
		return nil
	}
	return s.close()
}

// close closes the server connections and stops and removes the throwaway
// cluster of the shared server. It does nothing on a nil Server.
func (s *Server) close() error {
	if s == nil {
		return nil
	}
	err := s.admin.Close()
	if s.cluster != nil {
		err = errors.Join(err, s.cluster.Close())
	}
	return err
}

// DSN returns the key=value DSN of database dbname on this server.
func (s *Server) DSN(dbname string) string {
	return s.base + " dbname=" + quoteDSNValue(dbname)
}

// Version returns the major version of the server, server_version_num /
// 10000, for example 15. It fails the test if it cannot be read.
func (s *Server) Version(t testing.TB) int {
	t.Helper()
	v, err := s.serverVersion(context.Background())
	if err != nil {
		t.Fatalf("migratortest: %v", err)
	}
	return v
}

// serverVersion returns the server's major version, querying it once.
func (s *Server) serverVersion(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version == 0 {
		var num int
		if err := s.admin.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
			return 0, fmt.Errorf("query server version: %w", err)
		}
		s.version = num / 10000
	}
	return s.version, nil
}
