package sql

// Statements of pgmig lint (cmd/pgmig), in this file of their own so that
// the list in sql.go stays short.
var (
	// ServerVersionNum is the server's version number (170004 for 17.4):
	// its major version decides the version-dependent lint rules.
	ServerVersionNum = load("server_version_num.sql")
	// LintRelations lists the relations of the user's schemas with their
	// relfilenode and the scans of the current transaction.
	LintRelations = load("lint_relations.sql")
	// LintLocks lists the table locks the session holds.
	LintLocks = load("lint_locks.sql")
	// LintRegclass resolves a relation name, given as $1.
	LintRegclass = load("lint_regclass.sql")
	// LintSeedTables lists the user's tables, and LintSeedColumns the
	// columns of table $1 an INSERT must give, for seed rows.
	LintSeedTables  = load("lint_seed_tables.sql")
	LintSeedColumns = load("lint_seed_columns.sql")
	// LintRelationSize is the size and row estimate of relation $1.
	LintRelationSize = load("lint_relation_size.sql")
)
