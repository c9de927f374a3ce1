package sql

// Statements of the dev database (migrator/devdb), in this file of their
// own so that the list in sql.go stays short.
var (
	// ServerIdentity tells the system identifier of the server, the
	// database and the server version, to tell two databases apart.
	ServerIdentity = load("server_identity.sql")
	// ServerIdentityFallback is ServerIdentity with the server's address
	// and port instead of the system identifier.
	ServerIdentityFallback = load("server_identity_fallback.sql")
	// DevTargetSearchPath reads the search path of the target's session.
	DevTargetSearchPath = load("devdb_target_search_path.sql")
	// DevSetSearchPath sets the session's search path to $1.
	DevSetSearchPath = load("devdb_set_search_path.sql")
)
