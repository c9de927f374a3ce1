package main

import (
	"database/sql"
	"log/slog"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
)

// fleetTarget is one target of a run over many targets, as an operation
// sees it.
type fleetTarget struct {
	fleet.Target
	files *migrator.Files
	// m is the Migrator fleet.Run made for the target; it connects at
	// its first query.
	m *migrator.Migrator
	// opts and logger are those fleet.Run gave m.
	opts   []migrator.Option
	logger *slog.Logger
}

// open returns a Migrator of the target over the files read once, and
// the *sql.DB under it, for an operation that queries the target itself
// too (lint, drift): fleet.Open, set up as fleet.Run set up m. m is left
// unused, so that the target still takes one connection. The caller
// closes db.
func (t *fleetTarget) open() (*migrator.Migrator, *sql.DB, error) {
	return fleet.Open(t.files, t.Target, t.logger, t.opts...)
}

// explainedError is an error that an operation has explained already
// (the dev database's, which is not about the target): runFleetOn leaves
// it as it is.
type explainedError struct{ error }

func (e explainedError) Unwrap() error { return e.error }
