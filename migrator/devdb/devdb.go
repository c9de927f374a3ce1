// Package devdb provides a dev database: a scratch database on a server
// where pgmig may create and drop databases, built from a migrations folder
// with pgmig's own migrator, for tools that need to see what the
// migrations build (schema drift, measured lint) without touching the
// target database.
//
// The server is either one the caller names (Options.Connect, for example
// from a URL) or a throwaway local cluster started from the PostgreSQL
// server binaries with pgcluster, preferring the target's major version.
// Close drops the scratch database and stops the cluster.
//
//	dev, err := devdb.Open(ctx, devdb.Options{Target: targetDB})
//	...
//	defer dev.Close()
//	if _, err := dev.Build(ctx, os.DirFS("migrations"), 0); err != nil { ... }
//	rows, err := dev.DB().QueryContext(ctx, ...)
package devdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/pgcluster"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Options configure Open.
type Options struct {
	// Connect opens database dbname on a server where pgmig may create
	// and drop a scratch database; "" names the server's maintenance
	// database (the one the caller configured), through which the scratch
	// database is created and dropped. Its role needs CREATEDB. Nil starts
	// a throwaway local cluster instead.
	Connect func(dbname string) (*sql.DB, error)
	// Target, when not nil, is the database the dev database stands in
	// for. Open refuses a Connect that reaches that very database
	// (ErrTargetDatabase), and a throwaway cluster prefers its major
	// version. Open only reads from it.
	Target *sql.DB
	// PreferMajor is the major version a throwaway cluster prefers when
	// several are installed; 0 means the Target's, if any.
	PreferMajor int
	// BinDir is the directory of the server binaries for a throwaway
	// cluster (see pgcluster.Options.BinDir).
	BinDir string
	// Setup is SQL run on the scratch database before any migration: the
	// roles, extensions and schemas that the migrations expect to exist.
	// Roles are global to a server: on a server from Connect they stay
	// after Close. SetupName names it in errors (a file name).
	Setup, SetupName string
	// Logger receives what Open and Build do at info level (the server,
	// the scratch database). Nil logs nothing.
	Logger *slog.Logger
}

// ErrTargetDatabase is returned by Open when Connect reaches the target
// database itself: a dev database is always a scratch database of its
// own.
var ErrTargetDatabase = errors.New("the dev server connection reaches the target database itself")

// Server describes the server a dev database is on.
type Server struct {
	Version    string // server_version, for example "15.10"
	VersionNum int    // server_version_num, for example 150010
	Major      int    // major version, for example 15
	// Throwaway is true for a local cluster started for the dev
	// database; BinDir is then the directory of its postgres program.
	Throwaway bool
	BinDir    string
}

// Database is a scratch database on a dev server. Its methods are not
// safe for concurrent use; DB is.
type Database struct {
	name    string
	server  Server
	cluster *pgcluster.Cluster // nil on a server from Connect
	maint   *sql.DB            // the maintenance database, for the drop
	db      *sql.DB            // the scratch database
	log     *slog.Logger
	closed  bool

	searchPath string // the target session's, given to the scratch database
}

// Open provides a dev database: it connects to the server of
// opts.Connect, or starts a throwaway cluster, creates an empty scratch
// database there (from template0, named pgmig_dev_ and random hex) and
// runs opts.Setup in it. The caller must Close it.
//
// Errors: ErrTargetDatabase; pgcluster's errors (wrapping
// pgcluster.ErrNoServer when no server binaries are found); a
// *migrator.ConnectError when the server cannot be reached; the server's
// error when the database cannot be created; a *SetupError (or a
// *MissingRoleError) when the setup SQL fails.
func Open(ctx context.Context, opts Options) (_ *Database, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Database{log: log}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close())
		}
	}()
	var target *identity
	if opts.Target != nil {
		id, err := identify(ctx, opts.Target)
		if err != nil {
			return nil, fmt.Errorf("read the target server: %w", err)
		}
		target = &id
		if err := opts.Target.QueryRowContext(ctx, pgsql.DevTargetSearchPath).Scan(&d.searchPath); err != nil {
			return nil, fmt.Errorf("read the target's search path: %w", err)
		}
	}
	if opts.Connect != nil {
		if err := d.connect(ctx, opts.Connect, target); err != nil {
			return nil, err
		}
	} else if err := d.startCluster(ctx, opts, target); err != nil {
		return nil, err
	}
	if err := d.create(ctx, opts.Connect); err != nil {
		return nil, err
	}
	if opts.Setup != "" {
		if err := d.setup(ctx, opts.Setup, opts.SetupName); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// connect opens the maintenance database of a caller's server and checks
// that it is not the target.
func (d *Database) connect(ctx context.Context, connect func(string) (*sql.DB, error), target *identity) error {
	maint, err := connect("")
	if err != nil {
		return err
	}
	d.maint = maint
	id, err := identify(ctx, maint)
	if err != nil {
		return &migrator.ConnectError{Err: err}
	}
	if target != nil && id.sameDatabase(*target) {
		return ErrTargetDatabase
	}
	d.server = id.server()
	d.log.Info("dev database server", "version", d.server.Version)
	return nil
}

// startCluster starts a throwaway cluster, preferring the target's major
// version.
func (d *Database) startCluster(ctx context.Context, opts Options, target *identity) error {
	prefer := opts.PreferMajor
	if prefer == 0 && target != nil {
		prefer = target.versionNum / 10000
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{BinDir: opts.BinDir, PreferMajor: prefer})
	if err != nil {
		return fmt.Errorf("start a dev cluster: %w", err)
	}
	d.cluster = c
	maint, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return err
	}
	d.maint = maint
	id, err := identify(ctx, maint)
	if err != nil {
		return &migrator.ConnectError{Err: err}
	}
	d.server = id.server()
	d.server.Throwaway, d.server.BinDir = true, c.BinDir()
	d.log.Info("dev cluster started", "version", d.server.Version, "bin_dir", d.server.BinDir, "preferred_major", prefer)
	return nil
}

// create creates the scratch database and opens it.
func (d *Database) create(ctx context.Context, connect func(string) (*sql.DB, error)) error {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	name := "pgmig_dev_" + hex.EncodeToString(b[:])
	if _, err := migrator.CreateDatabase(ctx, d.maint, name, migrator.CreateDatabaseOptions{Template: "template0"}); err != nil {
		return fmt.Errorf("create the dev database: %w", err)
	}
	d.name = name
	d.log.Info("dev database created", "database", name)
	if err := d.setSearchPath(ctx); err != nil {
		return err
	}
	var err error
	if connect != nil {
		d.db, err = connect(name)
	} else {
		d.db, err = sql.Open("postgres", d.cluster.DSN(name))
	}
	return err
}

// setSearchPath gives the scratch database the search path of the
// target's session, so that the migrations put unqualified names, and
// the tracking table, in the same schemas as on the target.
func (d *Database) setSearchPath(ctx context.Context) error {
	if d.searchPath == "" {
		return nil
	}
	conn, err := d.maint.Conn(ctx)
	if err != nil {
		return &migrator.ConnectError{Err: err}
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, pgsql.DevSetSearchPath, d.searchPath); err != nil {
		return fmt.Errorf("set the dev database's search path to the target's (%s): %w", d.searchPath, err)
	}
	_, err = conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(d.name)+" SET search_path FROM CURRENT")
	if err == nil {
		_, err = conn.ExecContext(ctx, "RESET search_path")
	}
	if err != nil {
		return fmt.Errorf("set the dev database's search path to the target's (%s): %w", d.searchPath, err)
	}
	d.log.Debug("dev database search path", "search_path", d.searchPath)
	return nil
}

// Name returns the name of the scratch database.
func (d *Database) Name() string { return d.name }

// Server describes the server the dev database is on.
func (d *Database) Server() Server { return d.server }

// DB returns the handle of the scratch database. It stays valid until
// Close.
func (d *Database) DB() *sql.DB { return d.db }

// DSN returns a lib/pq key=value DSN of the scratch database when it is on
// a throwaway cluster (trust authentication for the superuser postgres),
// and "" on a server from Options.Connect, whose settings the caller has.
func (d *Database) DSN() string {
	if d.cluster == nil {
		return ""
	}
	return d.cluster.DSN(d.name)
}

// Close closes the scratch database, drops it and stops a throwaway
// cluster, removing its files. Calling it again does nothing.
func (d *Database) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	if d.name != "" && d.maint != nil && d.cluster == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := migrator.DropDatabase(ctx, d.maint, d.name); err != nil {
			errs = append(errs, fmt.Errorf("drop the dev database %s: %w", d.name, err))
		}
		cancel()
	}
	if d.maint != nil {
		errs = append(errs, d.maint.Close())
	}
	if d.cluster != nil {
		errs = append(errs, d.cluster.Close())
	}
	return errors.Join(errs...)
}
