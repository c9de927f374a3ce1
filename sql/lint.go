package sql

import _ "embed" // the statements below

// Statements of pgmig lint (cmd/pgmig), in this file of their own so that
// the list in sql.go stays short.
var (
	// ServerVersionNum is the server's version number (170004 for 17.4):
	// its major version decides the version-dependent lint rules.
	//go:embed server_version_num.sql
	ServerVersionNum string
	// LintRelations lists the relations of the user's schemas with their
	// relfilenode and the scans of the current transaction.
	//go:embed lint_relations.sql
	LintRelations string
	// LintLocks lists the table locks the session holds.
	//go:embed lint_locks.sql
	LintLocks string
	// LintRegclass resolves a relation name, given as $1.
	//go:embed lint_regclass.sql
	LintRegclass string
	// LintSeedTables lists the user's tables, and LintSeedColumns the
	// columns of table $1 an INSERT must give, for seed rows.
	//go:embed lint_seed_tables.sql
	LintSeedTables string
	//go:embed lint_seed_columns.sql
	LintSeedColumns string
	// LintRelationSize is the size and row estimate of relation $1.
	//go:embed lint_relation_size.sql
	LintRelationSize string
)
