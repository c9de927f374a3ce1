package migrated_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/migratortest/migrated"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }

// childEnv names the variables of a child test binary: the family of its
// templates and the file where it writes how many templates it built.
const childFamily, childOut = "MIGRATED_CHILD_FAMILY", "MIGRATED_CHILD_OUT"

// family returns a template family of this test run alone, and drops its
// templates when the test ends.
func family(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	f := "t" + hex.EncodeToString(b)
	t.Cleanup(func() { dropFamily(t, f) })
	return f
}

// dropFamily drops every template of family f.
func dropFamily(t *testing.T, f string) {
	srv := migratortest.Shared(t)
	cfg, err := pq.NewConfig(srv.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := templatedb.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	d := migratortest.NewDatabase(t)
	rows, err := d.DB.Query("SELECT datname FROM pg_database WHERE datname LIKE $1", templatedb.Prefix+f+`\_%`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if err := ts.Drop(context.Background(), n); err != nil {
			t.Errorf("drop %s: %v", n, err)
		}
	}
}

// 8 parallel tests in each of 2 test binaries run at once build the
// template once, and every test gets a migrated database of its own.
func TestTemplateBuiltOnceAcrossBinaries(t *testing.T) {
	if os.Getenv(childFamily) != "" {
		t.Skip("child binary")
	}
	srv := migratortest.Shared(t)
	fam := family(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for i := range 2 {
		cmd := exec.Command(exe, "-test.run", "^TestChildClones$", "-test.count=1", "-test.parallel=8")
		cmd.Env = append(os.Environ(), childFamily+"="+fam, childOut+"="+filepath.Join(dir, strconv.Itoa(i)),
			"PGMIG_TEST_DATABASE_URL="+srv.DSN("postgres"))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child %d:\n%s", i, out)
			}
		})
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	builds, clones := 0, 0
	for i := range cmds {
		b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		var bs, cs int
		fmt.Sscanf(string(b), "%d %d", &bs, &cs)
		builds, clones = builds+bs, clones+cs
	}
	if builds != 1 || clones != 16 {
		t.Fatalf("2 binaries of 8 tests built %d templates and cloned %d databases, want 1 and 16", builds, clones)
	}

	// A changed file makes a new template and drops the old one.
	fsys := testFiles()
	old := migrated.Template(t, fsys, migrated.Options{Template: templatedb.Options{Family: fam}})
	if old.Built {
		t.Fatal("the template was built again")
	}
	fsys["03_add-status.sql"].Data = []byte("ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n")
	tmpl := migrated.Template(t, fsys, migrated.Options{Template: templatedb.Options{Family: fam}})
	if !tmpl.Built || tmpl.Name == old.Name || len(tmpl.Dropped) != 1 || tmpl.Dropped[0] != old.Name {
		t.Fatalf("after a change: %+v; want a new template, %s dropped", tmpl, old.Name)
	}
	d := migrated.NewDatabaseWith(t, fsys, migrated.Options{Template: templatedb.Options{Family: fam}})
	var def string
	if err := d.DB.QueryRow("SELECT column_default FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'status'").Scan(&def); err != nil || def != "'new'::text" {
		t.Fatalf("clone of the new template: status default %q, %v", def, err)
	}
}

// testFiles are the migrations of these tests.
func testFiles() fstest.MapFS {
	return fstest.MapFS{
		"01_create-users.sql":  {Data: []byte("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);\n")},
		"02_create-orders.sql": {Data: []byte("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);\nINSERT INTO users VALUES (1, 'seed@example.com');\n")},
		"03_add-status.sql":    {Data: []byte("ALTER TABLE orders ADD COLUMN status text;\n")},
	}
}

// TestChildClones is the body of a child binary: 8 parallel tests, each
// with a migrated database of its own.
func TestChildClones(t *testing.T) {
	fam := os.Getenv(childFamily)
	if fam == "" {
		t.Skip("run by TestTemplateBuiltOnceAcrossBinaries")
	}
	var builds, clones atomic.Int32
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				opts := migrated.Options{Template: templatedb.Options{Family: fam}}
				if migrated.Template(t, testFiles(), opts).Built {
					builds.Add(1)
				}
				d := migrated.NewDatabaseWith(t, testFiles(), opts)
				var n int
				if err := d.DB.QueryRow("SELECT count(*) FROM users").Scan(&n); err != nil || n != 1 {
					t.Fatalf("clone: %d seed users, %v; want 1", n, err)
				}
				if _, err := d.DB.Exec("INSERT INTO users VALUES (2, 'own@example.com')"); err != nil {
					t.Fatal(err)
				}
				ids := appliedIDs(t, d)
				if ids != "1,2,3" {
					t.Fatalf("clone's tracking table holds %s, want 1,2,3", ids)
				}
				clones.Add(1)
			})
		}
	})
	out := fmt.Sprintf("%d %d", builds.Load(), clones.Load())
	if err := os.WriteFile(os.Getenv(childOut), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appliedIDs(t *testing.T, d *migratortest.Database) string {
	rows, err := d.DB.Query("SELECT id FROM migrations WHERE id > 0 ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, strconv.Itoa(id))
	}
	return strings.Join(ids, ",")
}

// A database left by a build that died is not a template: it is dropped
// and built again. A migration that fails leaves no database behind.
func TestIncompleteAndFailedBuilds(t *testing.T) {
	fam := family(t)
	fsys := testFiles()
	files, err := migrator.ReadFiles(fsys)
	if err != nil {
		t.Fatal(err)
	}
	_, name := templatedb.Key(files, templatedb.Options{Family: fam})
	admin := migratortest.NewDatabase(t).DB
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	tmpl := migrated.Template(t, fsys, migrated.Options{Template: templatedb.Options{Family: fam}})
	if !tmpl.Built || tmpl.Name != name {
		t.Fatalf("over a leftover: %+v, want %s built", tmpl, name)
	}

	cfg, err := pq.NewConfig(migratortest.Shared(t).DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := templatedb.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	fsys["04_broken.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE nowhere ADD COLUMN x int;\n")}
	broken, _ := migrator.ReadFiles(fsys)
	_, brokenName := templatedb.Key(broken, templatedb.Options{Family: fam})
	var mig *migrator.MigrationError
	if _, err := ts.Ensure(context.Background(), broken, templatedb.Options{Family: fam}); !errors.As(err, &mig) {
		t.Fatalf("broken migration: got %v, want a *MigrationError", err)
	}
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", brokenName).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the failed build left %d databases (%v)", n, err)
	}
}

// Each strategy makes a migrated copy (before PostgreSQL 15 the strategy
// is ignored).
func TestCloneStrategies(t *testing.T) {
	fam := family(t)
	for _, st := range []templatedb.Strategy{templatedb.StrategyDefault, templatedb.StrategyFileCopy, templatedb.StrategyWALLog} {
		d := migrated.NewDatabaseWith(t, testFiles(), migrated.Options{Template: templatedb.Options{Family: fam}, Strategy: st})
		if got := appliedIDs(t, d); got != "1,2,3" {
			t.Errorf("strategy %q: tracking table holds %s, want 1,2,3", st, got)
		}
	}
	cfg, _ := pq.NewConfig(migratortest.Shared(t).DSN("postgres"))
	ts, err := templatedb.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	if err := ts.Clone(context.Background(), templatedb.Template{Name: "x"}, "y", "COPY_ALL"); err == nil {
		t.Error("an unknown strategy was accepted")
	}
}
