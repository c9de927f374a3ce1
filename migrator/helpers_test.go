package migrator_test

import (
	"context"
	"database/sql"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// peerDir returns a folder of postgres-migrations' test fixtures, shipped in
// ../shared beside the repository (or PGMIG_PEER_FIXTURES). Missing fixtures
// skip the test, or fail it under CI.
func peerDir(t *testing.T, parts ...string) string {
	t.Helper()
	root := os.Getenv("PGMIG_PEER_FIXTURES")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "peer-fixtures", "postgres-migrations")
	}
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres-migrations fixtures not found at %s (set PGMIG_PEER_FIXTURES): %v", root, err)
		}
		t.Skipf("postgres-migrations fixtures not found at %s: %v", root, err)
	}
	return filepath.Join(append([]string{root}, parts...)...)
}

func newMigrator(t *testing.T, db *sql.DB, fsys fs.FS, opts ...migrator.Option) *migrator.Migrator {
	t.Helper()
	m, err := migrator.New(db, fsys, opts...)
	if err != nil {
		t.Fatalf("migrator.New: %v", err)
	}
	return m
}

func apply(t *testing.T, db *sql.DB, fsys fs.FS, opts ...migrator.Option) (*migrator.ApplyResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return newMigrator(t, db, fsys, opts...).Apply(ctx)
}

func mustApply(t *testing.T, db *sql.DB, fsys fs.FS, opts ...migrator.Option) *migrator.ApplyResult {
	t.Helper()
	res, err := apply(t, db, fsys, opts...)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

type row struct {
	ID   int
	Name string
	Hash string
}

// trackingRows reads the tracking table (default name unless given).
func trackingRows(t *testing.T, db *sql.DB, table ...string) []row {
	t.Helper()
	name := "migrations"
	if len(table) > 0 {
		name = table[0]
	}
	rows, err := db.Query("SELECT id, name, hash FROM " + name + " ORDER BY id")
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ID, &r.Name, &r.Hash); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(rows []row) string {
	s := ""
	for i, r := range rows {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(r.ID)
	}
	return s
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var oid sql.NullString
	if err := db.QueryRow("SELECT to_regclass($1)::text", name).Scan(&oid); err != nil {
		t.Fatal(err)
	}
	return oid.Valid
}

// lockHeld reports whether any session holds pgmig's advisory lock on the
// current database.
func lockHeld(t *testing.T, db *sql.DB) bool {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((classid::bigint << 32) | objid::bigint) = $1`, migrator.LockKey).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func appliedFiles(res *migrator.ApplyResult) []string {
	var out []string
	for _, a := range res.Applied {
		out = append(out, a.File)
	}
	sort.Strings(out)
	return out
}

// unreachableDB returns a handle whose every use fails: for showing that a
// call does no database I/O.
func unreachableDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", "host=127.0.0.1 port=1 connect_timeout=1 sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// jsonLogger returns a logger that writes JSON lines into w.
func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
