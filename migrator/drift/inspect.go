package drift

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Options tune Inspect.
type Options struct {
	// ExcludeSchemas are schemas left out, besides pg_catalog,
	// information_schema and the toast and temporary schemas.
	ExcludeSchemas []string
	// TrackingTable is pgmig's tracking table, left out with its index
	// and sequence, as [schema.]name (quoted like migrator.WithTable)
	// resolved through the search path; empty means migrator.DefaultTable.
	TrackingTable string
	// Privileges adds owners and grants.
	Privileges bool
}

// Inspect reads the schema of db from the system catalogs in one
// read-only, repeatable-read transaction, with a fixed number of queries
// (one per kind of object). It writes nothing and takes no lock beyond the
// catalog reads. Objects that belong to an extension are left out (the
// extension stands for them), and so is the tracking table.
//
// Errors: a *migrator.ConnectError when db cannot be reached; else the
// server's error, wrapped with the query that failed.
func Inspect(ctx context.Context, db *sql.DB, opts Options) (*Schema, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, &migrator.ConnectError{Err: err}
	}
	defer func() { _ = tx.Rollback() }()
	return inspectTx(ctx, tx, opts)
}

// inspectTx runs the inspection queries in tx.
func inspectTx(ctx context.Context, tx *sql.Tx, opts Options) (*Schema, error) {
	table := opts.TrackingTable
	if table == "" {
		table = migrator.DefaultTable
	}
	var tracking int64
	if err := tx.QueryRowContext(ctx, pgsql.DriftTrackingTable, table).Scan(&tracking); err != nil {
		return nil, fmt.Errorf("resolve the tracking table %s: %w", table, err)
	}
	var currentUser string
	if err := tx.QueryRowContext(ctx, pgsql.DriftSearchPath).Scan(new(string), &currentUser); err != nil {
		return nil, fmt.Errorf("set the search path for inspection: %w", err)
	}
	in := &inspector{
		ctx:         ctx,
		tx:          tx,
		exclude:     pq.Array(append([]string{}, opts.ExcludeSchemas...)),
		tracking:    tracking,
		currentUser: currentUser,
		schema:      &Schema{},
	}
	steps := []struct {
		what string
		run  func() error
	}{
		{"schemas", in.schemas},
		{"tables", in.tables},
		{"constraints", in.constraints},
		{"indexes", in.indexes},
		{"views", in.views},
		{"functions", in.functions},
		{"triggers", in.triggers},
		{"rules", in.rules},
		{"statistics", in.statistics},
		{"aggregates", in.aggregates},
		{"sequences", in.sequences},
		{"types", in.types},
		{"extensions", in.extensions},
		{"policies", in.policies},
		{"comments", in.comments},
	}
	if opts.Privileges {
		steps = append(steps, struct {
			what string
			run  func() error
		}{"privileges", in.privileges})
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", s.what, err)
		}
	}
	in.schema.sort()
	return in.schema, nil
}

// inspector runs the inspection queries of one transaction.
type inspector struct {
	ctx         context.Context
	tx          *sql.Tx
	exclude     any   // $1: the schemas left out, as a text[]
	tracking    int64 // $2: oid of the tracking table, 0 if none
	currentUser string
	schema      *Schema
}

// add appends an object.
func (in *inspector) add(kind Kind, name, def string) {
	in.schema.Objects = append(in.schema.Objects, Object{Kind: kind, Name: name, Definition: def})
}

// query runs an inspection query with the parameters it takes (the ones
// among $1 and $2 its text names) and calls scan for each row.
func (in *inspector) query(query string, scan func(*sql.Rows) error) error {
	var args []any
	switch {
	case strings.Contains(query, "$2"):
		args = []any{in.exclude, in.tracking}
	case strings.Contains(query, "$1"):
		args = []any{in.exclude}
	}
	rows, err := in.tx.QueryContext(in.ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanStrings scans a row of text columns.
func scanStrings(rows *sql.Rows, n int) ([]string, error) {
	vals := make([]string, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}
