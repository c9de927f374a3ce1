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

// majors lists the major versions the tests run on:
// PGMIG_DRIFT_MAJORS (comma-separated; each must be installed), else
// those of 12, 15 and 18 that are installed (with PGMIG_PG_BINDIR, its
// version alone), else the first one installed. Without any server
// binaries it is 0, which stands for the shared test server
// (PGMIG_TEST_DATABASE_URL).
func majors(t testing.TB) []int {
	t.Helper()
	if list := os.Getenv("PGMIG_DRIFT_MAJORS"); list != "" {
		var out []int
		for _, s := range strings.Split(list, ",") {
			var v int
			if _, err := fmt.Sscan(s, &v); err != nil {
				t.Fatalf("PGMIG_DRIFT_MAJORS=%s: %v", list, err)
			}
			out = append(out, v)
		}
		return out
	}
	installed := pgcluster.Installations()
	var out []int
	for _, in := range installed {
		if in.Major == 12 || in.Major == 15 || in.Major == 18 {
			out = append(out, in.Major)
		}
	}
	sort.Ints(out)
	switch {
	case len(out) > 0:
		return out
	case len(installed) > 0:
		return []int{installed[0].Major}
	}
	return []int{0}
}

// dsner is a server that tests create databases on: a throwaway cluster
// or the shared test server.
type dsner interface{ DSN(dbname string) string }

// cluster returns the server of major version major: a throwaway cluster
// of that version, or for 0 the shared test server.
func cluster(t testing.TB, major int) dsner {
	t.Helper()
	if major == 0 {
		return migratortest.Shared(t)
	}
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

// devOn opens a dev database (with the setup of testdata/full) on the
// cluster of major version major, closed in t.Cleanup.
func devOn(t testing.TB, major int) *devdb.Database {
	t.Helper()
	c := cluster(t, major)
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

// built opens a dev database on major and applies testdata/full to it.
func built(t testing.TB, major int) *devdb.Database {
	t.Helper()
	d := devOn(t, major)
	if _, err := d.Build(testContext(t), folder("full"), 0); err != nil {
		t.Fatal(err)
	}
	return d
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

// templates holds, per major version, a database built from testdata/full
// that targets are copied from.
var templates struct {
	sync.Mutex
	byMajor map[int]string
	n       int
}

// target returns a new database on the cluster of major version major
// built from testdata/full: a copy of a template database built once.
// It is dropped in t.Cleanup. dsn is its lib/pq DSN.
func target(t testing.TB, major int) (db *sql.DB, dsn string) {
	t.Helper()
	if major == 0 {
		// The shared server may be another process's too: no template.
		d := built(t, major)
		return d.DB(), cluster(t, major).DSN(d.Name())
	}
	c := cluster(t, major)
	maint, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer maint.Close()
	templates.Lock()
	defer templates.Unlock()
	tpl := templates.byMajor[major]
	if tpl == "" {
		tpl = "drift_full_template"
		if _, err := maint.Exec("CREATE DATABASE " + tpl); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("postgres", c.DSN(tpl))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(setupSQL(t)); err != nil {
			t.Fatal(err)
		}
		m, err := migrator.New(db, folder("full"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Apply(testContext(t)); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if templates.byMajor == nil {
			templates.byMajor = map[int]string{}
		}
		templates.byMajor[major] = tpl
	}
	templates.n++
	name := fmt.Sprintf("drift_target_%d", templates.n)
	if _, err := maint.Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl); err != nil {
		t.Fatal(err)
	}
	dsn = c.DSN(name)
	db, err = sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		m, err := sql.Open("postgres", c.DSN("postgres"))
		if err != nil {
			t.Error(err)
			return
		}
		defer m.Close()
		if _, err := migrator.DropDatabase(context.Background(), m, name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return db, dsn
}
