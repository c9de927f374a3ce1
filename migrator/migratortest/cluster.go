package migratortest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// ErrNoPostgres is wrapped by the errors that report that no PostgreSQL
// server is available: neither PGMIG_TEST_DATABASE_URL is set nor can the
// server binaries be found. Tests are skipped for it (failed under CI).
// It is pgcluster.ErrNoServer.
var ErrNoPostgres = pgcluster.ErrNoServer

// readyTimeout bounds the wait for a starting server or PgBouncer.
const readyTimeout = 60 * time.Second

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
	// /usr/lib/postgresql/*/bin (then /var/tmp/pgmig-pg/*/native/bin).
	BinDir string
}

// Cluster is a private throwaway PostgreSQL cluster in a temporary
// directory, listening on 127.0.0.1 with trust authentication for the
// superuser postgres, made by NewCluster or StartCluster (or StartStandby).
// It is a pgcluster.Cluster (Start, Stop, Restart, Close, DSN, Port,
// DataDir, BinDir, LogFile, WriteFile, Reload, WaitCaughtUp, ...) with
// helpers for tests. Its methods are safe for concurrent use.
type Cluster struct {
	*pgcluster.Cluster
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

// NewCluster creates a throwaway cluster with pgcluster.Start: initdb in a
// new temporary directory (trust authentication for the superuser
// postgres), a server on a free port of 127.0.0.1, ready to accept
// connections. It needs no testing.TB, so programs such as benchmark
// drivers can use it too. When the process runs as root, the server runs
// as the OS user postgres, or nobody when there is no postgres; every
// parent of the temporary directory ($TMPDIR) must then be searchable by
// that user.
//
// The caller must call Close, which stops the server and removes the
// directory; a process that dies without it takes the server down with it
// (parent-death signal), but leaves the directory behind.
//
// The error wraps ErrNoPostgres when initdb and postgres cannot be found;
// opts.BinDir or PGMIG_PG_BINDIR without them is an error of its own.
// Errors of initdb and of the server's start carry the end of its output.
func NewCluster(opts ClusterOptions) (*Cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Options{
		Settings: opts.Settings,
		Durable:  opts.Durable,
		BinDir:   opts.BinDir,
	})
	if err != nil {
		return nil, err
	}
	return &Cluster{c}, nil
}

// StartStandby starts a streaming hot standby of the running cluster c on
// a free port (see pgcluster.Cluster.StartStandby): a base backup taken
// with pg_basebackup of the server's major version or newer or, when there
// is none, with the backup functions and a file copy. It returns once the
// standby accepts queries, reports pg_is_in_recovery() and streams WAL from
// c. The standby is stopped and its directory removed in t.Cleanup, before
// c is (clusters are cleaned up in reverse order of creation). Stopping the
// standby leaves c running; Start restarts it as a standby again.
func (c *Cluster) StartStandby(t testing.TB) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := c.Cluster.StartStandby(ctx)
	if err != nil {
		t.Fatalf("migratortest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("remove standby cluster: %v", err)
		}
	})
	return &Cluster{s}
}

// baseDSN is the key=value DSN of the cluster without dbname.
func (c *Cluster) baseDSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable", c.Port())
}
