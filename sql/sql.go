// Package sql holds every statement pgmig itself runs, one .sql file each,
// embedded at build time so that all of pgmig's SQL can be read in one place.
//
// Statements that name the tracking table or a database carry placeholders
// in braces ({table}, {name}, ...) that the caller replaces with properly
// quoted identifiers or literals through [Render]. Import this package under
// an alias (for example pgsql) so it never shadows database/sql.
package sql

import (
	_ "embed" // the statements below
	"strings"
)

// Statements pgmig runs. Each is the .sql file of the same name, embedded
// as a string (nothing to copy when the program starts), final line break
// included.
var (
	// TryLock tries to take the session advisory lock shared with
	// postgres-migrations, unless the server is read-only, and tells
	// whether the server process held it already. Placeholder: {key}.
	//go:embed try_lock.sql
	TryLock string
	// NoopCheck, sent in one query string after TryLock, digests the
	// tracking table's rows, compares the digest with the one of a run with
	// nothing to do and then releases the lock. Placeholders: {table},
	// {regclass} (a literal), {digest} (a literal), {key}.
	//go:embed noop_check.sql
	NoopCheck string
	// Unlock releases that lock. Placeholder: {key}.
	//go:embed unlock.sql
	Unlock string
	// LockHolders lists the sessions holding that lock. Placeholder: {key}.
	//go:embed lock_holders.sql
	LockHolders string
	// TableColumns resolves the tracking table through search_path (or an
	// explicit schema) and lists its columns. Placeholder: {regclass}.
	//go:embed table_columns.sql
	TableColumns string
	// CreateTable creates the tracking table and its row 0, as
	// postgres-migrations does. Placeholder: {table}.
	//go:embed create_table.sql
	CreateTable string
	// TrackingTables lists the tables of any schema that have the columns
	// of a tracking table.
	//go:embed tracking_tables.sql
	TrackingTables string
	// TableSummary counts the rows of such a table. Placeholder: {table}.
	//go:embed table_summary.sql
	TableSummary string
	// InsertRow0 adds postgres-migrations' row 0 to a tracking table that
	// lacks it. Placeholder: {table}.
	//go:embed insert_row0.sql
	InsertRow0 string
	// AppliedRows reads the rows of the tracking table. Placeholders:
	// {table}, {duration}.
	//go:embed applied_rows.sql
	AppliedRows string
	// RecordMigration inserts the bookkeeping row of one migration.
	// Placeholders: {table}, {id}, {name}, {hash}, {duration_col},
	// {duration_val}.
	//go:embed record_migration.sql
	RecordMigration string
	// MigrationDuration is an expression: milliseconds since the current
	// query string arrived.
	//go:embed migration_duration.sql
	MigrationDuration string
	// DatabaseExists tells whether a database exists and whether the server
	// is a hot standby. Placeholder: {name}.
	//go:embed database_exists.sql
	DatabaseExists string
	// CreateDatabase creates a database. Placeholders: {name}, {options}.
	//go:embed create_database.sql
	CreateDatabase string
	// DropDatabaseCheck tells, before a drop, whether a database exists,
	// whether the server is a hot standby, the session's own database and
	// the server version number. Placeholder: {name} (a quoted literal).
	//go:embed drop_database_check.sql
	DropDatabaseCheck string
	// DropDatabase drops a database if it exists. Placeholders: {name} (a
	// quoted identifier), {options} ("" or " WITH (FORCE)").
	//go:embed drop_database.sql
	DropDatabase string
	// TerminateDatabaseSessions ends the other sessions of a database and
	// counts them. Placeholder: {name} (a quoted literal).
	//go:embed terminate_database_sessions.sql
	TerminateDatabaseSessions string
	// BeginMigration opens a migration's transaction.
	//go:embed begin_migration.sql
	BeginMigration string
	// AssertLockSession fails a migration's transaction before anything of
	// the migration runs unless it runs on the server process holding the
	// migration lock. Placeholder: {pid}.
	//go:embed assert_lock_session.sql
	AssertLockSession string
	// BackendPID returns the server process of the connection.
	//go:embed backend_pid.sql
	BackendPID string
	// SetTimeout sets a timeout for a migration's statements. Placeholders:
	// {scope} ("LOCAL " or ""), {setting}, {value} (a quoted literal).
	//go:embed set_timeout.sql
	SetTimeout string
	// BlockingSessions lists the sessions that block a server process.
	// Placeholder: {pid}.
	//go:embed blocking_sessions.sql
	BlockingSessions string
	// BackendActivity tells what a server process is doing: state, wait
	// event, lock wait and progress. Placeholder: {pid}.
	//go:embed backend_activity.sql
	BackendActivity string
	// TerminateIdleBlockers terminates the sessions that block a server
	// process and have been idle in a transaction for longer than some
	// seconds. Placeholders: {pid}, {seconds}.
	//go:embed terminate_idle_blockers.sql
	TerminateIdleBlockers string
	// InvalidIndex finds an invalid index left by CREATE INDEX
	// CONCURRENTLY. Placeholders: {table}, {name} (quoted literals).
	//go:embed invalid_index.sql
	InvalidIndex string
	// DropIndexConcurrently drops such an index. Placeholder: {index}.
	//go:embed drop_index_concurrently.sql
	DropIndexConcurrently string
	// ResetSession puts the session back to its connection defaults.
	//go:embed reset_session.sql
	ResetSession string
	// SynchronousCommitOff makes the current transaction commit without
	// waiting for the WAL flush.
	//go:embed synchronous_commit_off.sql
	SynchronousCommitOff string
	// ReadOnlySource tells where default_transaction_read_only comes from.
	//go:embed read_only_source.sql
	ReadOnlySource string
	// TimeoutSettings lists the timeout settings with their sources.
	//go:embed timeout_settings.sql
	TimeoutSettings string
	// Commit ends a migration's transaction.
	//go:embed commit.sql
	Commit string
	// FlushBarrier waits until every earlier commit is flushed.
	//go:embed flush_barrier.sql
	FlushBarrier string
	// Rollback ends a failed transaction.
	//go:embed rollback.sql
	Rollback string
	// FleetDatabases lists the databases whose name matches a LIKE
	// pattern ($1), templates and the maintenance databases left out.
	//go:embed fleet_databases.sql
	FleetDatabases string
	// FleetSchemas lists the schemas whose name matches a LIKE pattern
	// ($1), system schemas left out.
	//go:embed fleet_schemas.sql
	FleetSchemas string
	// TemplateState tells whether a template database ($1) exists, whether
	// its build completed, and the server's major version.
	//go:embed template_state.sql
	TemplateState string
	// TemplateTryLock tries the lock of a template build ($1).
	//go:embed template_try_lock.sql
	TemplateTryLock string
	// TemplateUnlock releases it ($1).
	//go:embed template_unlock.sql
	TemplateUnlock string
	// TemplateMark marks a built database as a template. Placeholder:
	// {name} (a quoted identifier).
	//go:embed template_mark.sql
	TemplateMark string
	// TemplateUnmark makes a template a plain database again. Placeholder:
	// {name} (a quoted identifier).
	//go:embed template_unmark.sql
	TemplateUnmark string
	// TemplateFamily lists the templates of one folder ($1, a LIKE
	// pattern) but one ($2).
	//go:embed template_family.sql
	TemplateFamily string
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
