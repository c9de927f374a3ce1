package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// CreateDatabaseOptions are the optional clauses of CREATE DATABASE.
type CreateDatabaseOptions struct {
	Owner    string // role that will own the database
	Template string // template database, e.g. template0
	Encoding string // e.g. UTF8
	Locale   string // sets LC_COLLATE and LC_CTYPE
}

// CreateDatabase creates database name through maint, a connection to a
// maintenance database of the same server (usually "postgres"). It checks
// pg_database first, so it succeeds without the CREATEDB privilege when the
// database already exists, and treats "already exists" (SQLSTATE 42P04,
// a concurrent creation) as success. created tells whether it created it.
// On a hot standby it returns a *ReadOnlyError, even when the database
// exists: pointing a deploy at a replica is a mistake to show at once.
func CreateDatabase(ctx context.Context, maint *sql.DB, name string, opts CreateDatabaseOptions) (created bool, err error) {
	if name == "" {
		return false, errors.New("no database name given")
	}
	var n int
	var standby bool
	if err := maint.QueryRowContext(ctx, pgsql.Render(pgsql.DatabaseExists, "name", pq.QuoteLiteral(name))).Scan(&n, &standby); err != nil {
		return false, &ConnectError{Err: err}
	}
	if standby {
		return false, &ReadOnlyError{Standby: true}
	}
	if n > 0 {
		return false, nil
	}
	var clauses strings.Builder
	if opts.Owner != "" {
		clauses.WriteString(" OWNER " + pq.QuoteIdentifier(opts.Owner))
	}
	if opts.Template != "" {
		clauses.WriteString(" TEMPLATE " + pq.QuoteIdentifier(opts.Template))
	}
	if opts.Encoding != "" {
		clauses.WriteString(" ENCODING " + pq.QuoteLiteral(opts.Encoding))
	}
	if opts.Locale != "" {
		clauses.WriteString(" LC_COLLATE " + pq.QuoteLiteral(opts.Locale) + " LC_CTYPE " + pq.QuoteLiteral(opts.Locale))
	}
	stmt := pgsql.Render(pgsql.CreateDatabase, "name", pq.QuoteIdentifier(name), "options", clauses.String())
	if _, err := maint.ExecContext(ctx, stmt); err != nil {
		if sqlState(err) == "42P04" {
			return false, nil
		}
		return false, fmt.Errorf("creating database %q: %w", name, err)
	}
	return true, nil
}
