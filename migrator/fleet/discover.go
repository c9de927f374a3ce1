package fleet

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	pgsql "github.com/pgmig/pgmig/sql"
)

// EachDatabase lists, through one connection to the database of cfg, every
// database of the server whose name matches the SQL LIKE pattern, in name
// order, each a target with the settings of cfg but its own database name.
// Templates, databases that refuse connections, the database of cfg
// itself and the maintenance database postgres are left out. It returns a
// *migrator.ConnectError when it cannot connect, or the server's error.
func EachDatabase(ctx context.Context, cfg pq.Config, pattern string) ([]Target, error) {
	names, err := list(ctx, cfg, pgsql.FleetDatabases, pattern)
	if err != nil {
		return nil, err
	}
	targets := make([]Target, 0, len(names))
	for _, name := range names {
		c := cfg.Clone()
		c.Database = name
		targets = append(targets, NewTarget(c))
	}
	return targets, nil
}

// EachSchema lists, through one connection to the database of cfg, every
// schema of that database whose name matches the SQL LIKE pattern, in
// name order, each a tenant-schema target (see [Target.Schema]). System
// schemas (pg_catalog, pg_toast, temporary schemas, information_schema)
// are left out. It returns a *migrator.ConnectError when it cannot
// connect, or the server's error.
func EachSchema(ctx context.Context, cfg pq.Config, pattern string) ([]Target, error) {
	names, err := list(ctx, cfg, pgsql.FleetSchemas, pattern)
	if err != nil {
		return nil, err
	}
	targets := make([]Target, 0, len(names))
	for _, name := range names {
		targets = append(targets, SchemaTarget(cfg.Clone(), name))
	}
	return targets, nil
}

// list runs query with pattern on one connection to cfg's database and
// returns the first column.
func list(ctx context.Context, cfg pq.Config, query, pattern string) ([]string, error) {
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, &migrator.ConnectError{Err: err}
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, query, pattern)
	if err != nil {
		return nil, fmt.Errorf("listing the targets of %s: %w", DisplayName(cfg), err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}
