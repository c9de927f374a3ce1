package sql

import _ "embed" // the statements below

// Statements of the dev database (migrator/devdb), in this file of their
// own so that the list in sql.go stays short.
var (
	// ServerIdentity tells the system identifier of the server, the
	// database and the server version, to tell two databases apart.
	//go:embed server_identity.sql
	ServerIdentity string
	// ServerIdentityFallback is ServerIdentity with the server's address
	// and port instead of the system identifier.
	//go:embed server_identity_fallback.sql
	ServerIdentityFallback string
	// DevTargetSearchPath reads the search path of the target's session.
	//go:embed devdb_target_search_path.sql
	DevTargetSearchPath string
	// DevSetSearchPath sets the session's search path to $1.
	//go:embed devdb_set_search_path.sql
	DevSetSearchPath string
)
