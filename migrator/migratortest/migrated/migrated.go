// Package migrated gives each test a database with a folder of migrations
// already applied, in milliseconds: the migrations run once per distinct
// set of files, into a template database on the test server (see package
// migrator/templatedb), and each test gets a copy made with CREATE
// DATABASE … TEMPLATE, dropped when the test ends.
//
//	func TestSignup(t *testing.T) {
//		t.Parallel()
//		d := migrated.NewDatabase(t, os.DirFS("../migrations"))
//		// d.DB is migrated
//	}
//
// It lives beside migratortest rather than in it because it imports
// pgmig's migrator, and migratortest must not: the migrator's own tests
// use migratortest. Templates are shared by the parallel tests of a binary
// and by test binaries run at once (go test ./... runs packages in
// parallel): the build takes an advisory lock on the server.
package migrated

import (
	"context"
	"io/fs"
	"sync"
	"testing"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

// Options adjust NewDatabase.
type Options struct {
	// Template keys and builds the template (family, tracking table, the
	// migrator's options for the build).
	Template templatedb.Options
	// Strategy is how PostgreSQL 15 and later copy the template; the
	// default is the server's (WAL_LOG).
	Strategy templatedb.Strategy
	// Server is the test server; default: migratortest.Shared.
	Server *migratortest.Server
}

var servers sync.Map // server DSN -> *templatedb.Server, open for the life of the process

// NewDatabase returns a fresh database for t with every migration of
// fsys applied, copied from the template of those files (built first when
// the server has none). The files are read and checked on each call; a
// bad file fails the test. The database is dropped in t.Cleanup.
func NewDatabase(t testing.TB, fsys fs.FS) *migratortest.Database {
	t.Helper()
	return NewDatabaseWith(t, fsys, Options{})
}

// NewDatabaseWith is NewDatabase with options.
func NewDatabaseWith(t testing.TB, fsys fs.FS, opts Options) *migratortest.Database {
	t.Helper()
	d, _ := newDatabase(t, fsys, opts)
	return d
}

// Template returns the template of fsys, building it when needed, for
// tests that want to know whether this call built it.
func Template(t testing.TB, fsys fs.FS, opts Options) templatedb.Template {
	t.Helper()
	files, err := migrator.ReadFiles(fsys)
	if err != nil {
		t.Fatalf("migrated: %v", err)
	}
	tmpl, err := server(t, opts).Ensure(context.Background(), files, opts.Template)
	if err != nil {
		t.Fatalf("migrated: %v", err)
	}
	return tmpl
}

func newDatabase(t testing.TB, fsys fs.FS, opts Options) (*migratortest.Database, templatedb.Template) {
	t.Helper()
	tmpl := Template(t, fsys, opts)
	srv := opts.Server
	if srv == nil {
		srv = migratortest.Shared(t)
	}
	ts := server(t, opts)
	d := srv.NewDatabaseWith(t, func(ctx context.Context, name string) error {
		return ts.Clone(ctx, tmpl, name, opts.Strategy)
	})
	return d, tmpl
}

// server returns the templatedb.Server of the test server.
func server(t testing.TB, opts Options) *templatedb.Server {
	t.Helper()
	srv := opts.Server
	if srv == nil {
		srv = migratortest.Shared(t)
	}
	dsn := srv.DSN("postgres")
	if s, ok := servers.Load(dsn); ok {
		return s.(*templatedb.Server)
	}
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		t.Fatalf("migrated: %v", err)
	}
	s, err := templatedb.Open(cfg)
	if err != nil {
		t.Fatalf("migrated: %v", err)
	}
	if prev, loaded := servers.LoadOrStore(dsn, s); loaded {
		s.Close()
		return prev.(*templatedb.Server)
	}
	return s
}
