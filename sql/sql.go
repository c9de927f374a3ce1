// Package sql holds every statement pgmig itself runs, one .sql file each,
// embedded at build time so that all of pgmig's SQL can be read in one place.
//
// Statements that name the tracking table or a database carry placeholders
// in braces ({table}, {name}, ...) that the caller replaces with properly
// quoted identifiers or literals through [Render]. Import this package under
// an alias (for example pgsql) so it never shadows database/sql.
package sql

import (
	"embed"
	"strings"
)

//go:embed *.sql
var files embed.FS

func load(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("pgmig: embedded SQL file missing: " + name)
	}
	return strings.TrimSpace(string(b))
}

// Statements pgmig runs. Each is read from the .sql file of the same name.
var (
	// TryLock tries to take the session advisory lock shared with
	// postgres-migrations. Placeholder: {key}.
	TryLock = load("try_lock.sql")
	// Unlock releases that lock. Placeholder: {key}.
	Unlock = load("unlock.sql")
	// LockHolders lists the sessions holding that lock. Placeholder: {key}.
	LockHolders = load("lock_holders.sql")
	// TableColumns resolves the tracking table through search_path (or an
	// explicit schema) and lists its columns. Placeholder: {regclass}.
	TableColumns = load("table_columns.sql")
	// CreateTable creates the tracking table and its row 0, as
	// postgres-migrations does. Placeholder: {table}.
	CreateTable = load("create_table.sql")
	// AppliedRows reads the rows of the tracking table. Placeholders:
	// {table}, {duration}.
	AppliedRows = load("applied_rows.sql")
	// RecordMigration inserts the bookkeeping row of one migration.
	// Placeholders: {table}, {id}, {name}, {hash}, {duration_col},
	// {duration_val}.
	RecordMigration = load("record_migration.sql")
	// MigrationDuration is an expression: milliseconds since the current
	// transaction began.
	MigrationDuration = load("migration_duration.sql")
	// DatabaseExists tells whether a database exists. Placeholder: {name}.
	DatabaseExists = load("database_exists.sql")
	// CreateDatabase creates a database. Placeholders: {name}, {options}.
	CreateDatabase = load("create_database.sql")
	// BeginMigration opens a migration's transaction.
	BeginMigration = load("begin_migration.sql")
	// BeginMigrationAsync opens a migration's transaction that commits
	// without waiting for the WAL flush.
	BeginMigrationAsync = load("begin_migration_async.sql")
	// Commit ends a migration's transaction.
	Commit = load("commit.sql")
	// FlushBarrier waits until every earlier commit is flushed.
	FlushBarrier = load("flush_barrier.sql")
	// Rollback ends a failed transaction.
	Rollback = load("rollback.sql")
	// ServerVersion returns server_version_num.
	ServerVersion = load("server_version.sql")
)

// Render replaces each {key} in stmt with its value. Placeholders never
// appear in comments, so a value may span lines. Values must already be
// quoted (identifiers with pq.QuoteIdentifier, literals with pq.QuoteLiteral).
func Render(stmt string, kv ...string) string {
	if len(kv)%2 != 0 {
		panic("pgmig: Render needs key/value pairs")
	}
	pairs := make([]string, 0, len(kv))
	for i := 0; i < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(stmt)
}
