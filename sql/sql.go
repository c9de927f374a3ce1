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
	// postgres-migrations, unless the server is read-only, and tells
	// whether the server process held it already. Placeholder: {key}.
	TryLock = load("try_lock.sql")
	// NoopCheck, sent in one query string after TryLock, digests the
	// tracking table's rows, compares the digest with the one of a run with
	// nothing to do and then releases the lock. Placeholders: {table},
	// {regclass} (a literal), {digest} (a literal), {key}.
	NoopCheck = load("noop_check.sql")
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
	// TrackingTables lists the tables of any schema that have the columns
	// of a tracking table.
	TrackingTables = load("tracking_tables.sql")
	// TableSummary counts the rows of such a table. Placeholder: {table}.
	TableSummary = load("table_summary.sql")
	// InsertRow0 adds postgres-migrations' row 0 to a tracking table that
	// lacks it. Placeholder: {table}.
	InsertRow0 = load("insert_row0.sql")
	// AppliedRows reads the rows of the tracking table. Placeholders:
	// {table}, {duration}.
	AppliedRows = load("applied_rows.sql")
	// RecordMigration inserts the bookkeeping row of one migration.
	// Placeholders: {table}, {id}, {name}, {hash}, {duration_col},
	// {duration_val}.
	RecordMigration = load("record_migration.sql")
	// MigrationDuration is an expression: milliseconds since the current
	// query string arrived.
	MigrationDuration = load("migration_duration.sql")
	// DatabaseExists tells whether a database exists and whether the server
	// is a hot standby. Placeholder: {name}.
	DatabaseExists = load("database_exists.sql")
	// CreateDatabase creates a database. Placeholders: {name}, {options}.
	CreateDatabase = load("create_database.sql")
	// DropDatabaseCheck tells, before a drop, whether a database exists,
	// whether the server is a hot standby, the session's own database and
	// the server version number. Placeholder: {name} (a quoted literal).
	DropDatabaseCheck = load("drop_database_check.sql")
	// DropDatabase drops a database if it exists. Placeholders: {name} (a
	// quoted identifier), {options} ("" or " WITH (FORCE)").
	DropDatabase = load("drop_database.sql")
	// TerminateDatabaseSessions ends the other sessions of a database and
	// counts them. Placeholder: {name} (a quoted literal).
	TerminateDatabaseSessions = load("terminate_database_sessions.sql")
	// BeginMigration opens a migration's transaction.
	BeginMigration = load("begin_migration.sql")
	// AssertLockSession fails a migration's transaction before anything of
	// the migration runs unless it runs on the server process holding the
	// migration lock. Placeholder: {pid}.
	AssertLockSession = load("assert_lock_session.sql")
	// BackendPID returns the server process of the connection.
	BackendPID = load("backend_pid.sql")
	// SetTimeout sets a timeout for a migration's statements. Placeholders:
	// {scope} ("LOCAL " or ""), {setting}, {value} (a quoted literal).
	SetTimeout = load("set_timeout.sql")
	// BlockingSessions lists the sessions that block a server process.
	// Placeholder: {pid}.
	BlockingSessions = load("blocking_sessions.sql")
	// BackendActivity tells what a server process is doing: state, wait
	// event, lock wait and progress. Placeholder: {pid}.
	BackendActivity = load("backend_activity.sql")
	// TerminateIdleBlockers terminates the sessions that block a server
	// process and have been idle in a transaction for longer than some
	// seconds. Placeholders: {pid}, {seconds}.
	TerminateIdleBlockers = load("terminate_idle_blockers.sql")
	// InvalidIndex finds an invalid index left by CREATE INDEX
	// CONCURRENTLY. Placeholders: {table}, {name} (quoted literals).
	InvalidIndex = load("invalid_index.sql")
	// DropIndexConcurrently drops such an index. Placeholder: {index}.
	DropIndexConcurrently = load("drop_index_concurrently.sql")
	// ResetSession puts the session back to its connection defaults.
	ResetSession = load("reset_session.sql")
	// SynchronousCommitOff makes the current transaction commit without
	// waiting for the WAL flush.
	SynchronousCommitOff = load("synchronous_commit_off.sql")
	// ReadOnlySource tells where default_transaction_read_only comes from.
	ReadOnlySource = load("read_only_source.sql")
	// TimeoutSettings lists the timeout settings with their sources.
	TimeoutSettings = load("timeout_settings.sql")
	// Commit ends a migration's transaction.
	Commit = load("commit.sql")
	// FlushBarrier waits until every earlier commit is flushed.
	FlushBarrier = load("flush_barrier.sql")
	// Rollback ends a failed transaction.
	Rollback = load("rollback.sql")
	// FleetDatabases lists the databases whose name matches a LIKE
	// pattern ($1), templates and the maintenance databases left out.
	FleetDatabases = load("fleet_databases.sql")
	// FleetSchemas lists the schemas whose name matches a LIKE pattern
	// ($1), system schemas left out.
	FleetSchemas = load("fleet_schemas.sql")
	// TemplateState tells whether a template database ($1) exists, whether
	// its build completed, and the server's major version.
	TemplateState = load("template_state.sql")
	// TemplateTryLock tries the lock of a template build ($1).
	TemplateTryLock = load("template_try_lock.sql")
	// TemplateUnlock releases it ($1).
	TemplateUnlock = load("template_unlock.sql")
	// TemplateMark marks a built database as a template. Placeholder:
	// {name} (a quoted identifier).
	TemplateMark = load("template_mark.sql")
	// TemplateUnmark makes a template a plain database again. Placeholder:
	// {name} (a quoted identifier).
	TemplateUnmark = load("template_unmark.sql")
	// TemplateFamily lists the templates of one folder ($1, a LIKE
	// pattern) but one ($2).
	TemplateFamily = load("template_family.sql")
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
