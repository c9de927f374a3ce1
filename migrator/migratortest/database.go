package migratortest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

const (
	// namePrefix starts the name of every test database.
	namePrefix = "pgmig_test_"
	// maxIdentifier is the longest PostgreSQL identifier in bytes.
	maxIdentifier = 63
	// randomHexLen is the length of the random suffix of a database name.
	randomHexLen = 8
	// dbTimeout bounds creating and dropping a test database.
	dbTimeout = 60 * time.Second
)

// Database is a fresh, empty database made for one test.
type Database struct {
	// Name is the database name.
	Name string
	// DSN is the lib/pq key=value connection string of the database
	// (sslmode=disable where the harness started the server).
	DSN string
	// DB is an open handle (driver "postgres", lib/pq), closed in the test
	// cleanup before the database is dropped.
	DB *sql.DB

	server *Server
}

// DSNFor returns the DSN of the same server with another database name,
// for example "postgres".
func (d *Database) DSNFor(dbname string) string { return d.server.DSN(dbname) }

// NewDatabase creates a fresh, uniquely named, empty database on the shared
// test server and drops it in t.Cleanup. When no PostgreSQL is available it
// skips the test, or fails it when the environment variable CI is set.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// NewDatabase creates a fresh, uniquely named, empty database on s (a copy
// of template0) and drops it in t.Cleanup with DropDatabase, after closing
// Database.DB.
func (s *Server) NewDatabase(t testing.TB) *Database {
	t.Helper()
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		t.Fatalf("migratortest: create database %s: %v", name, err)
	}
	d := &Database{Name: name, DSN: s.DSN(name), server: s}
	t.Cleanup(func() {
		if d.DB != nil {
			// A handle whose server crashed or restarted under it fails
			// to say goodbye on its stale connections (broken pipe): that
			// loses nothing, since the database is dropped next.
			if err := d.DB.Close(); err != nil {
				t.Logf("migratortest: close database %s: %v", name, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("migratortest: %v", err)
		}
	})
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatalf("migratortest: open database %s: %v", name, err)
	}
	d.DB = db
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("migratortest: connect to database %s: %v", name, err)
	}
	return d
}

// DropDatabase drops database name on s if it exists, ending its sessions
// first: with DROP DATABASE … WITH (FORCE) on PostgreSQL 13 and later;
// before 13 by terminating them with pg_terminate_backend and dropping,
// again if a new session slipped in between (up to 10 times). Sessions of
// *sql.DB handles on it end, so close those handles. It returns the
// server's error (a *pq.Error, wrapped; for example insufficient_privilege
// when the server's role may not drop it, or object_in_use before 13 when
// sessions keep coming) or ctx's error.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	version, err := s.serverVersion(ctx)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if version >= 13 {
		return s.dropDatabaseForce(ctx, name)
	}
	return s.dropDatabaseTerminating(ctx, name)
}

// DropDatabaseLater drops database name on s with DropDatabase when the
// test ends (in t.Cleanup), for databases a test makes without NewDatabase,
// for example through the program under test. A database that does not
// exist by then is no error; a failed drop fails the test. Register it
// before the database is made, so that a test that fails half-way leaves
// nothing behind. The server's connections must still be open then: on a
// server from Cluster.Server, call it after Server (cleanups run in
// reverse order); on one from OpenServer, Close the server after the tests.
func (s *Server) DropDatabaseLater(t testing.TB, name string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("migratortest: %v", err)
		}
	})
}

// dropDatabaseForce drops database name WITH (FORCE), PostgreSQL 13 and
// later.
func (s *Server) dropDatabaseForce(ctx context.Context, name string) error {
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropDatabaseTerminating terminates the sessions of database name, then
// drops it; a session that slipped in between makes the drop fail with
// object_in_use, so it retries. It works on every version; DropDatabase
// uses it before PostgreSQL 13.
func (s *Server) dropDatabaseTerminating(ctx context.Context, name string) error {
	quoted := pq.QuoteIdentifier(name)
	for attempt := 1; ; attempt++ {
		if _, err := s.admin.ExecContext(ctx,
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
			name); err != nil {
			return fmt.Errorf("disconnect database %s: %w", name, err)
		}
		_, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoted)
		var pqErr *pq.Error
		if err == nil || attempt == 10 || !errors.As(err, &pqErr) || pqErr.Code != "55006" {
			if err != nil {
				return fmt.Errorf("drop database %s: %w", name, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drop database %s: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// databaseName returns pgmig_test_<sanitised test name>_<random hex>: the
// test name lower-cased, runs of other characters than a-z and 0-9 turned
// into one underscore, truncated so that the name fits in 63 bytes.
func databaseName(testName string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(testName) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
		} else {
			pending = true
		}
	}
	middle := b.String()
	if max := maxIdentifier - len(namePrefix) - 1 - randomHexLen; len(middle) > max {
		middle = strings.TrimRight(middle[:max], "_")
	}
	random := make([]byte, randomHexLen/2)
	_, _ = rand.Read(random) // never fails since Go 1.24
	if middle == "" {
		return namePrefix + hex.EncodeToString(random)
	}
	return namePrefix + middle + "_" + hex.EncodeToString(random)
}
