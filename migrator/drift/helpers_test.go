package drift_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/drift"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/pgcluster"
)

// clusters holds one throwaway cluster per major version, started on
// first use and stopped by TestMain.
var clusters struct {
	sync.Mutex
	byMajor map[int]*pgcluster.Cluster
}

func TestMain(m *testing.M) {
	code := migratortest.Main(m) // runs the tests, stops the shared server
	clusters.Lock()
	for _, c := range clusters.byMajor {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	clusters.Unlock()
	os.Exit(code)
}

// testContext is a context for one test step.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// The tests run in two sets (CI runs the whole suite once per PostgreSQL
// version, so each set must cost little more than once per version):
//
//   - The per-version tests (out-of-band changes, schema.sql, the start-up
//     check) run on the default test server alone: PGMIG_TEST_DATABASE_URL,
//     else a throwaway cluster of PGMIG_PG_BINDIR or of the first server
//     binaries found. Each CI leg thus runs them on its own version.
//   - TestCrossVersionNoDrift builds the migrations on every major version
//     installed and compares every pair. It runs only when the suite is not
//     pinned to one version by PGMIG_PG_BINDIR (in CI, the first leg of
//     .ci/run, after it has fetched the matrix's server binaries; with CI
//     set, fewer than two versions installed is a failure);
//     PGMIG_DRIFT_MAJORS (comma-separated) narrows the versions.

// crossMajors lists the major versions the cross-version test builds on,
// or skips t when the suite is pinned to one version.
func crossMajors(t testing.TB) []int {
	t.Helper()
	if dir := os.Getenv(pgcluster.BinDirEnv); dir != "" {
		t.Skipf("%s=%s pins the suite to one version: the cross-version test runs without it", pgcluster.BinDirEnv, dir)
	}
	var out []int
	if list := os.Getenv("PGMIG_DRIFT_MAJORS"); list != "" {
		for _, s := range strings.Split(list, ",") {
			var v int
			if _, err := fmt.Sscan(s, &v); err != nil {
				t.Fatalf("PGMIG_DRIFT_MAJORS=%s: %v", list, err)
			}
			out = append(out, v)
		}
	} else {
		for _, in := range pgcluster.Installations() {
			out = append(out, in.Major)
		}
	}
	sort.Ints(out)
	if len(out) < 2 {
		if os.Getenv("CI") != "" {
			t.Fatalf("only PostgreSQL %v installed: CI compares every pair of majors", out)
		}
		t.Skipf("only PostgreSQL %v installed: nothing to compare across versions", out)
	}
	return out
}

// dsner is a server that tests create databases on: a throwaway cluster
// or the shared test server.
type dsner interface{ DSN(dbname string) string }

// cluster returns a throwaway cluster of major version major, started on
// first use and shared by the tests of the package.
func cluster(t testing.TB, major int) dsner {
	t.Helper()
	clusters.Lock()
	defer clusters.Unlock()
	if c := clusters.byMajor[major]; c != nil {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Options{PreferMajor: major})
	if err != nil {
		t.Fatal(err)
	}
	if c.Major() != major {
		c.Close()
		t.Fatalf("PostgreSQL %d is not installed (found %d)", major, c.Major())
	}
	if clusters.byMajor == nil {
		clusters.byMajor = map[int]*pgcluster.Cluster{}
	}
	clusters.byMajor[major] = c
	return c
}

// setupSQL is the setup of testdata/full: the role its grants name.
func setupSQL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "setup.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// devOn opens a dev database (with the setup of testdata/full) on server
// c, closed in t.Cleanup.
func devOn(t testing.TB, c dsner) *devdb.Database {
	t.Helper()
	d, err := devdb.Open(testContext(t), devdb.Options{
		Connect: func(dbname string) (*sql.DB, error) {
			if dbname == "" {
				dbname = "postgres"
			}
			return sql.Open("postgres", c.DSN(dbname))
		},
		Setup: setupSQL(t), SetupName: "testdata/setup.sql",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close dev database: %v", err)
		}
	})
	return d
}

// folder returns the migrations folder testdata/name.
func folder(name string) fs.FS { return os.DirFS(filepath.Join("testdata", name)) }

// builtOn opens a dev database on server c and applies testdata/full.
func builtOn(t testing.TB, c dsner) *devdb.Database {
	t.Helper()
	d := devOn(t, c)
	if _, err := d.Build(testContext(t), folder("full"), 0); err != nil {
		t.Fatal(err)
	}
	return d
}

// built is builtOn the default test server.
func built(t testing.TB) *devdb.Database {
	t.Helper()
	return builtOn(t, migratortest.Shared(t))
}

// serverMajor returns the major version of db's server.
func serverMajor(t testing.TB, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("SELECT current_setting('server_version_num')::int / 10000").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// inspect inspects db.
func inspect(t testing.TB, db *sql.DB, opts drift.Options) *drift.Schema {
	t.Helper()
	s, err := drift.Inspect(testContext(t), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaText returns the schema.sql text of s.
func schemaText(t testing.TB, s *drift.Schema) string {
	t.Helper()
	var b strings.Builder
	if err := s.WriteSQL(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// describe lists differences one a line, for test failures.
func describe(diffs []drift.Difference) string {
	var b strings.Builder
	for _, d := range diffs {
		fmt.Fprintf(&b, "\n  %s %s %s\n    expected: %q\n    actual:   %q", d.Kind, d.ObjectType, d.Name, d.Expected, d.Actual)
	}
	return b.String()
}

// migrated returns a new database on the default test server built from
// testdata/full (setup.sql, then the migrations), dropped when t ends;
// dsn is its lib/pq DSN.
func migrated(t testing.TB) (db *sql.DB, dsn string) {
	t.Helper()
	d := migratortest.NewDatabase(t)
	if _, err := d.DB.Exec(setupSQL(t)); err != nil {
		t.Fatal(err)
	}
	m, err := migrator.New(d.DB, folder("full"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return d.DB, d.DSN
}
