package sql

import _ "embed" // the statements below

// Statements of pgmig adopt (package migrator/adopt). They only read
// another migration tool's history table, in a read-only transaction.
var (
	// AdoptTable resolves another tool's history table and lists its
	// columns. Placeholder: {regclass} (a quoted literal).
	//go:embed adopt_table.sql
	AdoptTable string
	// AdoptGooseRows reads goose's goose_db_version. Placeholder: {table}.
	//go:embed adopt_goose_rows.sql
	AdoptGooseRows string
	// AdoptMigrateRows reads golang-migrate's schema_migrations.
	// Placeholder: {table}.
	//go:embed adopt_migrate_rows.sql
	AdoptMigrateRows string
	// AdoptVersionRows reads the version column of tern's schema_version
	// or dbmate's schema_migrations. Placeholder: {table}.
	//go:embed adopt_version_rows.sql
	AdoptVersionRows string
	// AdoptTablesNamed lists the tables of any schema with a name ($1).
	//go:embed adopt_tables_named.sql
	AdoptTablesNamed string
	// AdoptFlywayRows reads Flyway's flyway_schema_history. Placeholder:
	// {table}.
	//go:embed adopt_flyway_rows.sql
	AdoptFlywayRows string
)
