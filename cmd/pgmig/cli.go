package main

import (
	"github.com/alecthomas/kong"
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
	URL       string `help:"Connection URL or key=value string (default: $PGMIG_DATABASE_URL, $DATABASE_URL, then PG* variables)." placeholder:"URL" env:"-"`
	LogFormat string `help:"Log format on stderr: auto (console on a terminal, JSON otherwise), console or json." enum:"auto,console,json" default:"auto"`
	LogLevel  string `help:"Log level: debug, info, warn or error (default: info for JSON logs; warn for console logs, since stdout already tells people what happened)." enum:"debug,info,warn,error," default:""`
	Verbose   bool   `short:"v" help:"More detail: debug logs (each statement of disable-transaction files) and hashes in tables."`
}

// CLI is pgmig's command line.
type CLI struct {
	rootFlags

	Apply      applyCmd      `cmd:"" help:"Apply pending migrations from a folder."`
	Status     statusCmd     `cmd:"" help:"Show the state of every migration (read-only)."`
	Verify     verifyCmd     `cmd:"" help:"Fail unless the database is fully migrated and intact (read-only)."`
	Validate   validateCmd   `cmd:"" help:"Check the migration files alone, without a database."`
	Lint       lintCmd       `cmd:"" help:"Find the migrations that would lock or rewrite a busy table (read-only)."`
	Plan       planCmd       `cmd:"" help:"Show what apply would run, changing nothing."`
	Drift      driftCmd      `cmd:"" help:"Compare the database's schema with what its migrations build (read-only on the database)."`
	Schema     schemaCmd     `cmd:"" help:"Print the schema the migrations build as a deterministic SQL text, or --check a committed one."`
	New        newCmd        `cmd:"" help:"Create the next migration file."`
	Createdb   createdbCmd   `cmd:"" help:"Create the database if it does not exist."`
	Dropdb     dropdbCmd     `cmd:"" help:"Drop the database (asks first; --yes in scripts)."`
	Reset      resetCmd      `cmd:"" help:"Drop, create and migrate the database: dropdb + createdb + apply (asks first)."`
	Clone      cloneCmd      `cmd:"" help:"Create a database with every migration applied, copied from a template built once per set of files."`
	Renumber   renumberCmd   `cmd:"" help:"Move the migrations a merged branch added to the end of the numbering."`
	Adopt      adoptCmd      `cmd:"" help:"Record what goose, golang-migrate, tern, dbmate or Flyway applied, without running it (shows the plan; --yes writes)."`
	Version    versionCmd    `cmd:"" help:"Print pgmig's version."`
	Completion completionCmd `cmd:"" help:"Print the shell line that completes pgmig's commands and flags (bash, zsh, fish)."`
}

// rootFlags are the flags before any command.
type rootFlags struct {
	Globals
	V kong.VersionFlag `name:"version" help:"Print pgmig's version and exit." env:"-"`
}
