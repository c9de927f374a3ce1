package sql

// Statements of pgmig adopt (package migrator/adopt). They only read
// another migration tool's history table, in a read-only transaction.
var (
	// AdoptTable resolves another tool's history table and lists its
	// columns. Placeholder: {regclass} (a quoted literal).
	AdoptTable = load("adopt_table.sql")
	// AdoptGooseRows reads goose's goose_db_version. Placeholder: {table}.
	AdoptGooseRows = load("adopt_goose_rows.sql")
	// AdoptMigrateRows reads golang-migrate's schema_migrations.
	// Placeholder: {table}.
	AdoptMigrateRows = load("adopt_migrate_rows.sql")
	// AdoptVersionRows reads the version column of tern's schema_version
	// or dbmate's schema_migrations. Placeholder: {table}.
	AdoptVersionRows = load("adopt_version_rows.sql")
	// AdoptTablesNamed lists the tables of any schema with a name ($1).
	AdoptTablesNamed = load("adopt_tables_named.sql")
	// AdoptFlywayRows reads Flyway's flyway_schema_history. Placeholder:
	// {table}.
	AdoptFlywayRows = load("adopt_flyway_rows.sql")
)
