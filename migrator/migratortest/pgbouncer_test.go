package migratortest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// openDB opens dsn and closes it in t.Cleanup.
func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// heldConn takes a connection of db for the rest of the test.
func heldConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// backendPID returns pg_backend_pid() queried outside a transaction on conn.
func backendPID(t *testing.T, conn *sql.Conn) int {
	t.Helper()
	var pid int
	if err := conn.QueryRowContext(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatalf("query pg_backend_pid: %v", err)
	}
	return pid
}

func TestPgBouncerSessionMode(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{PoolMode: migratortest.PoolModeSession})
	if b.Port() == 0 {
		t.Fatal("no port")
	}
	db := openDB(t, b.DSN(d.Name))

	c1 := heldConn(t, db)
	var name string
	if err := c1.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != d.Name {
		t.Errorf("through pgbouncer current_database() = %q, want %q", name, d.Name)
	}
	first, second := backendPID(t, c1), backendPID(t, c1)
	if first != second {
		t.Errorf("session mode: one client connection ran on backends %d and %d", first, second)
	}
	// A session holds its server connection: a second client gets another.
	c2 := heldConn(t, db)
	if other := backendPID(t, c2); other == first {
		t.Errorf("session mode: two client connections share backend %d", other)
	}
	// A parameterised query (lib/pq's extended protocol) goes through too.
	var n int
	if err := c1.QueryRowContext(context.Background(), "SELECT $1::int + 1", 41).Scan(&n); err != nil || n != 42 {
		t.Errorf("parameterised query: %d, %v", n, err)
	}
}

func TestPgBouncerTransactionMode(t *testing.T) {
	t.Parallel()
	d := migratortest.NewDatabase(t)
	b := migratortest.Shared(t).StartPgBouncer(t, migratortest.PgBouncerOptions{
		PoolMode:        migratortest.PoolModeTransaction,
		DefaultPoolSize: 1,
	})
	db := openDB(t, b.DSN(d.Name))

	// Two client connections open at once, one server connection: each
	// statement outside a transaction borrows the same backend.
	c1, c2 := heldConn(t, db), heldConn(t, db)
	p1, p2 := backendPID(t, c1), backendPID(t, c2)
	if p1 != p2 {
		t.Fatalf("transaction mode with pool size 1: client connections ran on backends %d and %d", p1, p2)
	}
	if p := backendPID(t, c1); p != p1 {
		t.Errorf("transaction mode with pool size 1: backend changed from %d to %d", p1, p)
	}

	// Session state set outside a transaction stays on the server
	// connection, where the other client sees it.
	if _, err := c1.ExecContext(context.Background(), "SET application_name = 'leaked'"); err != nil {
		t.Fatal(err)
	}
	var app string
	if err := c2.QueryRowContext(context.Background(), "SELECT current_setting('application_name')").Scan(&app); err != nil {
		t.Fatal(err)
	}
	if app != "leaked" {
		t.Errorf("other client sees application_name %q, want the leaked setting", app)
	}
}

func TestPgBouncerSurvivesClusterRestart(t *testing.T) {
	t.Parallel()
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	b := c.StartPgBouncer(t, migratortest.PgBouncerOptions{})
	db := openDB(t, b.DSN("postgres"))
	if err := db.Ping(); err != nil {
		t.Fatalf("ping through pgbouncer: %v", err)
	}
	db.SetMaxIdleConns(0) // no client connection outlives the restart
	if err := c.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var one int
		err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no query through pgbouncer after the server restarted: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
