package templatedb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Strategy is how CREATE DATABASE copies a template on PostgreSQL 15 and
// later.
type Strategy string

const (
	// StrategyDefault leaves the choice to the server (WAL_LOG from 15 on).
	StrategyDefault Strategy = ""
	// StrategyFileCopy copies the template's files and checkpoints twice.
	StrategyFileCopy Strategy = "FILE_COPY"
	// StrategyWALLog copies block by block through the WAL.
	StrategyWALLog Strategy = "WAL_LOG"
)

// Clone creates database name as a copy of template t with CREATE
// DATABASE … TEMPLATE, using strategy on PostgreSQL 15 and later (before
// 15 there is one way, and strategy is ignored). It returns the server's
// error, for example when name exists (SQLSTATE 42P04).
func (s *Server) Clone(ctx context.Context, t Template, name string, strategy Strategy) error {
	switch strategy {
	case StrategyDefault, StrategyFileCopy, StrategyWALLog:
	default:
		return fmt.Errorf("unknown clone strategy %q", strategy)
	}
	version, err := s.serverVersion(ctx)
	if err != nil {
		return err
	}
	options := " TEMPLATE " + pq.QuoteIdentifier(t.Name)
	if strategy != StrategyDefault && version >= 15 {
		options += " STRATEGY " + string(strategy)
	}
	stmt := pgsql.Render(pgsql.CreateDatabase, "name", pq.QuoteIdentifier(name), "options", options)
	if _, err := s.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("creating database %s from template %s: %w", name, t.Name, err)
	}
	return nil
}

// Drop drops database name if it exists, ending its sessions first on
// PostgreSQL 13 and later (WITH (FORCE)); a template is made a plain
// database first.
func (s *Server) Drop(ctx context.Context, name string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return s.drop(ctx, conn, name, true)
}

// serverVersion returns the server's major version, asking once.
func (s *Server) serverVersion(ctx context.Context) (int, error) {
	s.mu.Lock()
	v := s.version
	s.mu.Unlock()
	if v > 0 {
		return v, nil
	}
	var exists, complete bool
	if err := s.db.QueryRowContext(ctx, pgsql.TemplateState, "").Scan(&exists, &complete, &v); err != nil {
		return 0, fmt.Errorf("reading the server version: %w", err)
	}
	s.mu.Lock()
	s.version = v
	s.mu.Unlock()
	return v, nil
}

// drop drops database name on conn; unmark first turns a template into
// a plain database.
func (s *Server) drop(ctx context.Context, conn *sql.Conn, name string, unmark bool) error {
	id := pq.QuoteIdentifier(name)
	if unmark {
		var exists bool
		var complete bool
		var version int
		if err := conn.QueryRowContext(ctx, pgsql.TemplateState, name).Scan(&exists, &complete, &version); err != nil {
			return err
		}
		if !exists {
			return nil
		}
		if complete {
			if _, err := conn.ExecContext(ctx, pgsql.Render(pgsql.TemplateUnmark, "name", id)); err != nil {
				return fmt.Errorf("dropping database %s: %w", name, err)
			}
		}
	}
	version, err := s.serverVersion(ctx)
	if err != nil {
		return err
	}
	force := ""
	if version >= 13 {
		force = " WITH (FORCE)"
	}
	if _, err := conn.ExecContext(ctx, pgsql.Render(pgsql.DropDatabase, "name", id, "options", force)); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// dropFamily drops the other complete templates of the family of name
// and returns those it dropped. A template that cannot be dropped (a
// clone of it in progress elsewhere) is left for the next build.
func (s *Server) dropFamily(ctx context.Context, conn *sql.Conn, name string) []string {
	family := name[:len(name)-16] // Prefix + family + "_"
	pattern := escapeLike(family) + "%"
	rows, err := conn.QueryContext(ctx, pgsql.TemplateFamily, pattern, name)
	if err != nil {
		return nil
	}
	var others []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil && len(n) == len(name) {
			others = append(others, n)
		}
	}
	rows.Close()
	var dropped []string
	for _, n := range others {
		if s.drop(ctx, conn, n, true) == nil {
			dropped = append(dropped, n)
		}
	}
	return dropped
}

// escapeLike escapes the LIKE wildcards of s.
func escapeLike(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '_' || c == '%' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
