package sql

// Statements of pgmig lint (cmd/pgmig), in this file of their own so that
// the list in sql.go stays short.
var (
	// ServerVersionNum is the server's version number (170004 for 17.4):
	// its major version decides the version-dependent lint rules.
	ServerVersionNum = load("server_version_num.sql")
)
