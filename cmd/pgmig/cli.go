package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/rs/zerolog"
)

const description = `pgmig applies numbered SQL migrations (0001_create-users.sql, 0002_...) to
PostgreSQL, roll-forward only. Each pending file runs in its own transaction
together with its bookkeeping row; files already applied are checked against
the SHA-1 stored when they ran. Compatible with postgres-migrations: same
tracking table, hash and lock.

Connection: --url, else $PGMIG_DATABASE_URL, else $DATABASE_URL, else the libpq
variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, ...),
~/.pgpass and defaults. sslmode defaults to prefer, as in libpq.

Examples:
  pgmig createdb --url postgres://app@db.internal/app
  pgmig apply ./migrations
  DATABASE_URL=postgres://app:secret@localhost/app?sslmode=disable pgmig apply --create-db ./migrations`

// Globals are the flags every command takes.
type Globals struct {
	URL       string `help:"Connection URL or key=value string (default: $PGMIG_DATABASE_URL, $DATABASE_URL, then PG* variables)." placeholder:"URL"`
	LogFormat string `help:"Log format on stderr: auto (console on a terminal, JSON otherwise), console or json." enum:"auto,console,json" default:"auto"`
	LogLevel  string `help:"Log level: debug, info, warn or error (default: info for JSON logs; warn for console logs, since stdout already tells people what happened)." enum:"debug,info,warn,error," default:""`
	Verbose   bool   `short:"v" help:"More detail: debug logs (each statement of disable-transaction files) and hashes in tables."`
}

// CLI is pgmig's command line.
type CLI struct {
	Globals

	Apply    applyCmd         `cmd:"" help:"Apply pending migrations from a folder."`
	Status   statusCmd        `cmd:"" help:"Show the state of every migration (read-only)."`
	Verify   verifyCmd        `cmd:"" help:"Fail unless the database is fully migrated and intact (read-only)."`
	Validate validateCmd      `cmd:"" help:"Check the migration files alone, without a database."`
	Plan     planCmd          `cmd:"" help:"Show what apply would run, changing nothing."`
	New      newCmd           `cmd:"" help:"Create the next migration file."`
	Createdb createdbCmd      `cmd:"" help:"Create the database if it does not exist."`
	Version  versionCmd       `cmd:"" help:"Print pgmig's version."`
	V        kong.VersionFlag `name:"version" help:"Print pgmig's version and exit."`
}

// app is what every command gets when it runs.
type app struct {
	stdout, stderr io.Writer
	red            *redactor
	log            zerolog.Logger
	globals        *Globals
}

// folderFlags are the flags of every command that reads a migrations folder
// and a database.
type folderFlags struct {
	Dir   string `arg:"" help:"Folder holding the migration files (top level only)." type:"path"`
	Table string `help:"Tracking table as [schema.]name (default: migrations, found through the search path; given explicitly, it is created when missing)." placeholder:"TABLE"`
	JSON  bool   `name:"json" help:"Print the result as one JSON document on stdout."`
}

// open checks the folder, resolves the connection and builds a Migrator.
// The caller closes the returned *sql.DB.
func (f *folderFlags) open(a *app, opts ...migrator.Option) (*migrator.Migrator, *connection, *sql.DB, error) {
	if err := checkFolder(f.Dir); err != nil {
		return nil, nil, nil, err
	}
	conn, err := resolveConnection(a.globals.URL, a.red)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := conn.open("")
	if err != nil {
		return nil, nil, nil, err
	}
	opts = append(opts, migrator.WithLogger(a.log))
	if f.Table != "" {
		opts = append(opts, migrator.WithTable(f.Table))
	}
	m, err := migrator.New(db, os.DirFS(f.Dir), opts...)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return m, conn, db, nil
}

func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return &folderError{msg: fmt.Sprintf("migrations folder %s: %v", dir, unwrapPath(err))}
	case !info.IsDir():
		return &folderError{msg: fmt.Sprintf("migrations folder %s is a file, not a folder", dir)}
	}
	return nil
}

// explain adds advice to errors that the library reports as facts: what to
// do about a connection error, a tracking table pgmig cannot use or find, a
// read-only server, a pooler.
func explain(conn *connection, err error) error {
	var (
		ce        *migrator.ConnectError
		table     *migrator.TableError
		elsewhere *migrator.TableElsewhereError
		readOnly  *migrator.ReadOnlyError
		pooler    *migrator.PoolerError
	)
	switch {
	case err == nil:
		return nil
	case conn != nil && errors.As(err, &ce):
		return conn.explainConnectError(ce.Err, "")
	case errors.As(err, &table):
		return withHint(err, "choose another table with --table schema.name")
	case errors.As(err, &elsewhere):
		f := elsewhere.Found[0].Table
		schema, _, _ := strings.Cut(f, ".")
		return withHint(err, fmt.Sprintf("pass --table %s, or give pgmig the search path the application uses "+
			"(for example PGOPTIONS='-c search_path=%s,public')", f, schema))
	case errors.As(err, &readOnly) && readOnly.Standby:
		return withHint(err, "connect to the primary server; status and verify work on a standby")
	case errors.As(err, &readOnly):
		return withHint(err, "connect with a role or database where default_transaction_read_only is off")
	case errors.As(err, &pooler):
		return withHint(err, "connect to PostgreSQL directly, or through a pooler in session mode (PgBouncer: pool_mode = session): "+
			"pgmig holds the migration lock on one server session for the whole run")
	}
	return err
}

// hinted is an error with advice for the person at the command line.
type hinted struct {
	err  error
	hint string
}

func withHint(err error, hint string) error { return &hinted{err: err, hint: hint} }

func (h *hinted) Error() string { return h.err.Error() + "\nhint: " + h.hint }

func (h *hinted) Unwrap() error { return h.err }

type applyCmd struct {
	folderFlags
	To       int           `help:"Apply pending migrations up to and including this id, no further." placeholder:"ID"`
	DryRun   bool          `name:"dry-run" help:"Check everything and show what would run, changing nothing (as 'pgmig plan')."`
	LockWait time.Duration `help:"Give up after waiting this long for another run's lock (e.g. 30s, 5m; default: wait until interrupted)." placeholder:"DURATION"`
	CreateDB bool          `name:"create-db" help:"Create the database first if it does not exist (as 'pgmig createdb')."`
	SyncEach bool          `name:"sync-commit-each" help:"Wait for the WAL flush at every migration's commit (default: only the last commit of a run waits, which makes all of them durable)."`
	createdbOptions
}

func (c *applyCmd) Help() string {
	return `Applies every pending migration of DIR in id order and records each one in
the tracking table. Applied files are compared with the hash stored when they
ran: a changed or missing file stops the run before anything is applied.
Concurrent runs on one database take turns through an advisory lock.

Files: NNN_name.sql at the top level of DIR, ids 1, 2, 3, ... with no gap.
Header lines: '-- pgmig disable-transaction' runs a file statement by statement
outside a transaction (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE,
VACUUM); '-- pgmig disable-hash-check' lets a file change after it ran.

Examples:
  pgmig apply ./migrations
  pgmig apply --lock-wait 2m --url postgres://deploy@db/app ./migrations
  pgmig apply --to 12 ./migrations          # stop after migration 12
  pgmig apply --dry-run ./migrations        # show what would run
  pgmig apply --create-db --table ops.schema_migrations ./migrations`
}

func (c *applyCmd) Run(ctx context.Context, a *app) error {
	if c.DryRun {
		p := planCmd{folderFlags: c.folderFlags, To: c.To}
		return p.Run(ctx, a)
	}
	if c.To < 0 {
		return &usageError{msg: "--to must be a migration id (1 or more)"}
	}
	if c.LockWait < 0 {
		return &usageError{msg: fmt.Sprintf("--lock-wait must not be negative, got %s", c.LockWait)}
	}
	if err := checkFolder(c.Dir); err != nil {
		return c.report(a, &migrator.ApplyResult{}, err)
	}
	if c.CreateDB {
		conn, err := resolveConnection(a.globals.URL, a.red)
		if err != nil {
			return err
		}
		if err := c.createdbOptions.create(ctx, a, conn, ""); err != nil {
			return c.report(a, &migrator.ApplyResult{}, err)
		}
	}
	m, conn, db, err := c.open(a, migrator.WithLockWait(c.LockWait), migrator.WithSyncCommitEach(c.SyncEach))
	if err != nil {
		return c.report(a, &migrator.ApplyResult{}, err)
	}
	defer db.Close()
	a.log.Info().Str("database", conn.describe("")).Str("dir", c.Dir).Int("files", len(m.Migrations())).Msg("applying migrations")
	res, err := m.ApplyTo(ctx, c.To)
	err = explain(conn, err)
	if ie := (*migrator.IntegrityError)(nil); errors.As(err, &ie) {
		err = fmt.Errorf("%w\nnothing was applied", err)
	}
	ev := a.log.Info()
	if err != nil {
		ev = a.log.Error()
	}
	ev.Int("applied", len(res.Applied)).Int("already_applied", res.AlreadyApplied).
		Dur("duration", res.Duration).Msg(summary(res, err))
	return c.report(a, res, err)
}

// report prints the result of apply on stdout.
func (c *applyCmd) report(a *app, res *migrator.ApplyResult, err error) error {
	if c.JSON {
		r := &jsonReport{Command: "apply", Target: c.To, Applied: []jsonMigration{}, AlreadyApplied: ptr(res.AlreadyApplied),
			HashCheckSkipped: fromMigrations(res.HashCheckSkipped), DurationMS: ms(res.Duration),
			Table: res.Table, Remaining: res.Remaining}
		for _, m := range res.Applied {
			j := fromMigration(m.Migration)
			j.DurationMS = ms(m.Duration)
			r.Applied = append(r.Applied, j)
		}
		writeJSON(a.stdout, r, err, a.red.redact)
		return err
	}
	printApplied(a.stdout, res, err)
	return err
}

func summary(res *migrator.ApplyResult, err error) string {
	switch {
	case err != nil && len(res.Applied) > 0:
		return fmt.Sprintf("applied %d migrations before the failure", len(res.Applied))
	case err != nil:
		return "no migrations applied"
	case len(res.Applied) == 0:
		return "database is up to date; nothing to apply"
	default:
		return fmt.Sprintf("applied %d migrations", len(res.Applied))
	}
}

type createdbOptions struct {
	MaintenanceDB string `name:"maintenance-db" help:"Database to connect to for CREATE DATABASE (default: postgres, then template1)." placeholder:"NAME"`
	Owner         string `help:"Owner role of the new database." placeholder:"ROLE"`
	Template      string `help:"Template database (e.g. template0)." placeholder:"NAME"`
	Encoding      string `help:"Encoding of the new database (e.g. UTF8)." placeholder:"ENC"`
	Locale        string `help:"LC_COLLATE and LC_CTYPE of the new database (e.g. C.UTF-8)." placeholder:"LOCALE"`
}

type createdbCmd struct {
	Name string `arg:"" optional:"" help:"Database to create (default: the database of the connection settings)."`
	createdbOptions
}

func (c *createdbCmd) Help() string {
	return `Creates the database unless it exists. It connects to a maintenance database
of the same server, checks pg_database first (so it succeeds without the
CREATEDB privilege when the database is there) and treats a concurrent
creation as success.

Examples:
  pgmig createdb --url postgres://admin@db/app     # creates "app"
  PGDATABASE=app pgmig createdb --owner app_owner
  pgmig createdb --template template0 --encoding UTF8 --locale C.UTF-8 reporting`
}

func (c *createdbCmd) Run(ctx context.Context, a *app) error {
	conn, err := resolveConnection(a.globals.URL, a.red)
	if err != nil {
		return err
	}
	return c.create(ctx, a, conn, c.Name)
}

// create creates database name (default: the connection's database).
func (o *createdbOptions) create(ctx context.Context, a *app, conn *connection, name string) error {
	if name == "" {
		name = conn.cfg.Database
	}
	maint := []string{o.MaintenanceDB}
	if o.MaintenanceDB == "" {
		maint = []string{"postgres", "template1"}
	}
	var lastErr error
	for _, dbname := range maint {
		db, err := conn.open(dbname)
		if err != nil {
			return err
		}
		created, err := migrator.CreateDatabase(ctx, db, name, migrator.CreateDatabaseOptions{
			Owner: o.Owner, Template: o.Template, Encoding: o.Encoding, Locale: o.Locale,
		})
		db.Close()
		var ce *migrator.ConnectError
		if errors.As(err, &ce) {
			lastErr = conn.explainConnectError(ce.Err, dbname)
			if pqErr := pq.As(ce.Err, "3D000"); pqErr != nil {
				continue // that maintenance database does not exist: try the next one
			}
			return lastErr
		}
		if err != nil {
			return err
		}
		if created {
			a.log.Info().Str("database", name).Str("server", conn.describe(dbname)).Msg("created database")
			fmt.Fprintf(a.stdout, "created database %s\n", name)
		} else {
			a.log.Info().Str("database", name).Msg("database already exists")
			fmt.Fprintf(a.stdout, "database %s already exists\n", name)
		}
		return nil
	}
	return lastErr
}

type versionCmd struct{}

func (versionCmd) Run(a *app) error {
	fmt.Fprintln(a.stdout, "pgmig", version())
	return nil
}

// versionOverride is set at build time with -ldflags "-X main.versionOverride=v1.2.3".
var versionOverride string

func version() string {
	if versionOverride != "" {
		return versionOverride
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
