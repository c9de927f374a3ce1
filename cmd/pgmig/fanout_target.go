package main

import (
	"database/sql"
	"log/slog"
	"strings"

	"github.com/lib/pq"
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
// too (lint, drift). It sets the target up as fleet.Run does for m: one
// connection, and for a tenant schema search_path with the schema first,
// tracking table schema.migrations and the schema's lock key. m is left
// unused, so that the target still takes one connection. The caller
// closes db.
func (t *fleetTarget) open() (*migrator.Migrator, *sql.DB, error) {
	cfg := t.Config.Clone()
	opts := append([]migrator.Option(nil), t.opts...)
	if t.logger != nil {
		opts = append(opts, migrator.WithLogger(t.logger.With("target", t.Name)))
	}
	if t.Schema != "" {
		if cfg.Runtime == nil {
			cfg.Runtime = map[string]string{}
		}
		rest := cfg.Runtime["search_path"]
		if strings.TrimSpace(rest) == "" {
			rest = "public"
		}
		cfg.Runtime["search_path"] = pq.QuoteIdentifier(t.Schema) + ", " + rest
		opts = append(opts, migrator.WithTable(pq.QuoteIdentifier(t.Schema)+"."+migrator.DefaultTable),
			migrator.WithLockKey(fleet.SchemaLockKey(t.Schema)))
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, nil, &migrator.ConnectError{Err: err}
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	m, err := t.files.New(db, opts...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return m, db, nil
}

// explainedError is an error that an operation has explained already
// (the dev database's, which is not about the target): runFleetOn leaves
// it as it is.
type explainedError struct{ error }

func (e explainedError) Unwrap() error { return e.error }
