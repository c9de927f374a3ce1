package migrator_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// queryCounter is a TCP proxy in front of a test database that counts the
// queries clients send through it: simple-protocol Query messages, each a
// round trip.
type queryCounter struct {
	queries atomic.Int64
}

// countQueries starts a queryCounter in front of d and returns it with a
// handle that connects through it. Tests on a Unix-socket server skip.
func countQueries(t *testing.T, d *migratortest.Database) (*queryCounter, *sql.DB) {
	t.Helper()
	host, port := "", "5432"
	for _, kv := range strings.Fields(d.DSN) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "host":
			host = v
		case "port":
			port = v
		}
	}
	if host == "" || strings.HasPrefix(host, "/") {
		t.Skip("the test server is reached over a Unix socket; counting needs TCP")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c := &queryCounter{}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", net.JoinHostPort(host, port))
			if err != nil {
				client.Close()
				continue
			}
			go func() { _, _ = io.Copy(client, server); client.Close() }()
			go func() { c.forward(server, client); server.Close() }()
		}
	}()
	db, err := sql.Open("postgres", d.DSN+fmt.Sprintf(" host=127.0.0.1 port=%d", ln.Addr().(*net.TCPAddr).Port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return c, db
}

// forward copies the client's messages to the server, counting queries:
// the start-up message (length first, no type byte), then typed messages.
func (c *queryCounter) forward(server io.Writer, client io.Reader) {
	var head [5]byte
	if _, err := io.ReadFull(client, head[:4]); err != nil {
		return
	}
	n := int64(binary.BigEndian.Uint32(head[:4])) - 4
	if _, err := server.Write(head[:4]); err != nil {
		return
	}
	if _, err := io.CopyN(server, client, n); err != nil {
		return
	}
	for {
		if _, err := io.ReadFull(client, head[:]); err != nil {
			return
		}
		if head[0] == 'Q' {
			c.queries.Add(1)
		}
		if _, err := server.Write(head[:]); err != nil {
			return
		}
		if _, err := io.CopyN(server, client, int64(binary.BigEndian.Uint32(head[1:]))-4); err != nil {
			return
		}
	}
}

// TestNoopIsOneRoundTrip: a run with nothing to do sends one query after
// connecting, and leaves the lock free although its session stays open in
// the pool.
func TestNoopIsOneRoundTrip(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := migratortest.GenerateMigrations(20)
	mustApply(t, d.DB, fsys)
	c, db := countQueries(t, d)
	m, err := migrator.New(db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Apply(context.Background())
	if err != nil || len(res.Applied) != 0 || res.AlreadyApplied != 20 || res.Table != "public.migrations" {
		t.Fatalf("no-op: %+v, %v", res, err)
	}
	if n := c.queries.Load(); n != 1 {
		t.Errorf("a no-op run sent %d queries, want 1", n)
	}
	if n := db.Stats().OpenConnections; n != 1 {
		t.Errorf("the no-op run's connection is not kept open in the pool (%d open): the lock check below proves nothing", n)
	}
	assertLockFree(t, d.DB)
	// A pending file: the lock is held through the run, released after.
	c.queries.Store(0)
	more := migratortest.GenerateMigrations(21)
	m, err = migrator.New(db, more)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m.Apply(context.Background()); err != nil || len(res.Applied) != 1 {
		t.Fatalf("apply of one more: %+v, %v", res, err)
	}
	if n := c.queries.Load(); n < 3 {
		t.Errorf("a run that applied a file sent %d queries", n)
	}
	assertLockFree(t, d.DB)
}

// assertLockFree fails unless another session can take the migration lock.
func assertLockFree(t *testing.T, db *sql.DB) {
	t.Helper()
	var ok bool
	if err := db.QueryRow("SELECT pg_try_advisory_lock($1)", migrator.LockKey).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("the migration lock is still held after the run")
	}
	if _, err := db.Exec("SELECT pg_advisory_unlock_all()"); err != nil {
		t.Fatal(err)
	}
}

// TestNoopChecksTheTableLayout: rows that digest as expected in a table of
// the wrong layout (or a view) still fail as a *TableError naming what is
// wrong, as a run that reads the rows finds it.
func TestNoopChecksTheTableLayout(t *testing.T) {
	for _, alter := range []string{
		"ALTER TABLE migrations ALTER COLUMN id TYPE numeric",
		"ALTER TABLE migrations ALTER COLUMN executed_at TYPE text",
		"ALTER TABLE migrations RENAME TO m; CREATE VIEW migrations AS SELECT * FROM m",
	} {
		t.Run(alter, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			fsys := migratortest.GenerateMigrations(3)
			mustApply(t, d.DB, fsys)
			if _, err := d.DB.Exec(alter); err != nil {
				t.Fatal(err)
			}
			c, db := countQueries(t, d)
			m, err := migrator.New(db, fsys)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Apply(context.Background())
			var te *migrator.TableError
			if !errors.As(err, &te) {
				t.Fatalf("Apply on a table of the wrong layout: %v (%T), want a *migrator.TableError", err, err)
			}
			if n := c.queries.Load(); n != 2 {
				t.Errorf("%d queries: want the no-op check's, which catches it, and the layout query's, which says why", n)
			}
			assertLockFree(t, d.DB)
		})
	}
}

// TestTableElsewhereWithManySchemas: with an explicit table that is
// missing, the tracking tables of other schemas (a schema per tenant) cost
// a few queries, not one per table: the warning describes five and counts
// them all. WithOtherTrackingTables looks for none.
func TestTableElsewhereWithManySchemas(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := migratortest.GenerateMigrations(2)
	const tenants = 30
	for i := range tenants {
		if _, err := d.DB.Exec(fmt.Sprintf("CREATE SCHEMA t%[1]d; CREATE TABLE t%[1]d.migrations (id int PRIMARY KEY, name varchar(100), hash varchar(40), executed_at timestamp)", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.DB.Exec("CREATE SCHEMA fresh; CREATE SCHEMA quiet"); err != nil {
		t.Fatal(err)
	}
	c, db := countQueries(t, d)
	var logs bytes.Buffer
	m, err := migrator.New(db, fsys, migrator.WithTable("fresh.migrations"), migrator.WithLogger(jsonLogger(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m.Apply(context.Background()); err != nil || len(res.Applied) != 2 || res.Table != "fresh.migrations" {
		t.Fatalf("apply into fresh.migrations: %+v, %v", res, err)
	}
	if n := c.queries.Load(); n >= tenants {
		t.Errorf("a first run beside %d tracking tables sent %d queries: one per table elsewhere?", tenants, n)
	}
	if !strings.Contains(logs.String(), "tables of its layout exist in other schemas") || !strings.Contains(logs.String(), fmt.Sprintf(`"tables_of_its_layout":%d`, tenants)) {
		t.Errorf("no warning naming %d tables elsewhere:\n%s", tenants, logs.String())
	}
	logs.Reset()
	m, err = migrator.New(db, fstest.MapFS{"1_nothing.sql": {Data: []byte("SELECT 1;\n")}},
		migrator.WithTable("quiet.migrations"), migrator.WithOtherTrackingTables(), migrator.WithLogger(jsonLogger(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "other schemas") {
		t.Errorf("WithOtherTrackingTables still looked elsewhere:\n%s", logs.String())
	}
}

// TestNoopCheckStandsAside: where the no-op check cannot decide, it
// releases nothing and the run reads the rows as usual, finding nothing to
// do. Under a stricter default isolation the one query string would read
// the table with a snapshot older than the lock. Hashes stored in upper
// case, or padded by a character(n) column, do not match its digest; the
// rows are then compared as hashcheck.Equal does.
func TestNoopCheckStandsAside(t *testing.T) {
	for name, change := range map[string]string{
		"repeatable read":   "ALTER DATABASE %q SET default_transaction_isolation = 'repeatable read'",
		"upper-case hashes": "UPDATE migrations SET hash = upper(hash)",
		"padded hashes":     "ALTER TABLE migrations ALTER COLUMN hash TYPE character(44)",
	} {
		t.Run(name, func(t *testing.T) {
			d := migratortest.NewDatabase(t)
			fsys := migratortest.GenerateMigrations(3)
			mustApply(t, d.DB, fsys)
			if strings.Contains(change, "%q") {
				change = fmt.Sprintf(change, d.Name)
			}
			if _, err := d.DB.Exec(change); err != nil {
				t.Fatal(err)
			}
			c, db := countQueries(t, d)
			m, err := migrator.New(db, fsys)
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Apply(context.Background())
			if err != nil || len(res.Applied) != 0 || res.AlreadyApplied != 3 {
				t.Fatalf("no-op: %+v, %v", res, err)
			}
			if n := c.queries.Load(); n < 2 {
				t.Errorf("%d queries: the no-op check released the lock where it cannot decide", n)
			}
			assertLockFree(t, d.DB)
		})
	}
}
