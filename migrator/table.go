package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Hashes postgres-migrations stores for its built-in migration 0: upstream,
// a checkout with CRLF line endings, and the @mft fork 2.5.x.
var row0Hashes = map[string]bool{
	"e18db593bcde2aca2a408c4d1100f6abba2195df": true,
	"7ea6ffb8242fbf6453adde45164b324b1ff68ce3": true,
	"7105a0feedaffd38a549fae2fda91da4e40c9597": true,
}

// appliedRow is one row of the tracking table.
type appliedRow struct {
	ID         int
	Name       string
	Hash       string
	ExecutedAt time.Time
	Duration   time.Duration // 0 when not recorded
}

// trackingTable is the resolved tracking table.
type trackingTable struct {
	qualified   string // schema-qualified, quoted: safe to splice into SQL
	display     string
	hasDuration bool // has pgmig's optional duration_ms column
}

// requiredColumns are the columns pgmig reads and writes, with the types
// accepted for each.
var requiredColumns = []struct {
	name  string
	types []string
}{
	{"id", []string{"integer", "bigint", "smallint"}},
	{"name", []string{"character varying", "text"}},
	{"hash", []string{"character varying", "text", "character"}},
	{"executed_at", []string{"timestamp without time zone", "timestamp with time zone"}},
}

// resolveTable finds the tracking table through search_path (or the
// explicit schema) and checks its shape. exists is false when there is none.
func (m *Migrator) resolveTable(ctx context.Context, q queryer) (t trackingTable, exists bool, err error) {
	rows, err := q.QueryContext(ctx, m.tableColumnsQuery())
	if err != nil {
		return t, false, fmt.Errorf("looking up tracking table %s: %w", m.opts.displayTable(), err)
	}
	defer rows.Close()
	return m.tableFromColumns(rows)
}

// tableColumnsQuery is the query whose result tableFromColumns reads.
func (m *Migrator) tableColumnsQuery() string {
	return pgsql.Render(pgsql.TableColumns, "regclass", m.opts.regclassLiteral())
}

// tableFromColumns reads the current result set of rows, the answer to
// tableColumnsQuery, to its end (so that a result set after it can be
// read) and checks the table's layout.
func (m *Migrator) tableFromColumns(rows *sql.Rows) (t trackingTable, exists bool, err error) {
	display := m.opts.displayTable()
	cols := map[string]string{}
	var schema, kind string
	for rows.Next() {
		var reg, nsp, col, typ, rk sql.NullString
		if err := rows.Scan(&reg, &nsp, &col, &typ, &rk); err != nil {
			return t, false, fmt.Errorf("looking up tracking table %s: %w", display, err)
		}
		if !reg.Valid {
			continue // no such table: one row of NULLs
		}
		schema, kind = nsp.String, rk.String
		if col.Valid {
			cols[col.String] = typ.String
		}
	}
	if err := rows.Err(); err != nil {
		return t, false, fmt.Errorf("looking up tracking table %s: %w", display, err)
	}
	if schema == "" {
		return t, false, nil
	}
	t, err = m.trackingTableOf(schema, kind, cols)
	return t, true, err
}

// tableIn is the tracking table in schema, as found by the no-op check
// (which checked its layout) or by trackingTableOf.
func (m *Migrator) tableIn(schema string) trackingTable {
	return trackingTable{
		qualified: pq.QuoteIdentifier(schema) + "." + pq.QuoteIdentifier(m.opts.table),
		display:   schema + "." + m.opts.table,
	}
}

// trackingTableOf is the tracking table found in schema, with relkind
// kind and cols (column name to type, as format_type prints it), or a
// *TableError when it cannot be one.
func (m *Migrator) trackingTableOf(schema, kind string, cols map[string]string) (trackingTable, error) {
	t := m.tableIn(schema)
	if typ, ok := cols["duration_ms"]; ok && (typ == "integer" || typ == "bigint") {
		t.hasDuration = true
	}
	if kind != "r" && kind != "p" {
		return t, &TableError{Table: t.display, Problem: "exists but is not a table"}
	}
	var problems []string
	for _, rc := range requiredColumns {
		typ, ok := cols[rc.name]
		if !ok {
			problems = append(problems, "no column "+rc.name)
			continue
		}
		base, _, _ := strings.Cut(typ, "(")
		if !slices.Contains(rc.types, base) {
			problems = append(problems, fmt.Sprintf("column %s is %s, expected %s", rc.name, typ, rc.types[0]))
		}
	}
	if len(problems) > 0 {
		return t, &TableError{Table: t.display, Problem: "exists but is not a migrations table of pgmig or postgres-migrations (" +
			strings.Join(problems, "; ") + ")"}
	}
	return t, nil
}

// createTable creates the tracking table with its row 0 and returns it.
// Call it with the migration lock held, once resolveTable found none.
func (m *Migrator) createTable(ctx context.Context, conn *sql.Conn) (trackingTable, error) {
	if _, err := conn.ExecContext(ctx, pgsql.Render(pgsql.CreateTable, "table", m.opts.qualifiedTable())); err != nil {
		rollback(ctx, conn)
		return trackingTable{}, fmt.Errorf("creating tracking table %s: %w", m.opts.displayTable(), err)
	}
	m.opts.log.Info("created tracking table", "table", m.opts.displayTable())
	t, exists, err := m.resolveTable(ctx, conn)
	if err == nil && !exists {
		err = fmt.Errorf("tracking table %s was created but cannot be found through search_path", m.opts.displayTable())
	}
	return t, err
}

// checkElsewhere looks, when the tracking table does not exist where pgmig
// looks, for tables with its layout in other schemas. Without an explicit
// table setting it returns a *TableElsewhereError when it finds any; with
// one it only logs them.
func (m *Migrator) checkElsewhere(ctx context.Context, q queryer) error {
	if m.opts.othersExpected {
		return nil
	}
	if m.opts.explicitTable {
		// Only a warning: the first few tables with their rows, and how
		// many there are (a schema per tenant may have thousands).
		found, candidates, _, err := tablesElsewhere(ctx, q, m.opts.table, warnSummaries)
		if err != nil {
			return fmt.Errorf("looking for tracking tables in other schemas: %w", err)
		}
		if len(found) > 0 {
			names := make([]string, len(found))
			for i, f := range found {
				names[i] = f.String()
			}
			attrs := []any{"table", m.opts.displayTable(), "found", names}
			if candidates > warnSummaries {
				attrs = append(attrs, "tables_of_its_layout", candidates)
			}
			m.opts.log.Warn("tracking table not found; tables of its layout exist in other schemas", attrs...)
		}
		return nil
	}
	found, _, searchPath, err := tablesElsewhere(ctx, q, m.opts.table, 0)
	if err != nil {
		return fmt.Errorf("looking for tracking tables in other schemas: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	return &TableElsewhereError{Table: m.opts.displayTable(), SearchPath: searchPath, Found: found}
}

// warnSummaries is how many tables found elsewhere the warning of an
// explicit table describes (one query each).
const warnSummaries = 5

// tablesElsewhere lists the tables that look like tracking tables: the
// columns of one, and either the name pgmig looks for or postgres-migrations'
// row 0. It also returns the session's search path.
//
// With limit > 0 only the first limit candidates are summarised (and may
// be found); candidates counts them all.
func tablesElsewhere(ctx context.Context, q queryer, name string, limit int) (found []FoundTable, candidates int, searchPath string, err error) {
	rows, err := q.QueryContext(ctx, pgsql.TrackingTables)
	if err != nil {
		return nil, 0, "", err
	}
	type candidate struct {
		FoundTable
		relname, quoted string
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		var schema string
		if err := rows.Scan(&schema, &c.relname, &c.quoted, &c.Readable, &searchPath); err != nil {
			rows.Close()
			return nil, 0, "", err
		}
		c.Table = schema + "." + c.relname
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, "", err
	}
	candidates = len(cands)
	if limit > 0 && len(cands) > limit {
		cands = cands[:limit]
	}
	for _, c := range cands {
		row0 := false
		if c.Readable {
			r, err := q.QueryContext(ctx, pgsql.Render(pgsql.TableSummary, "table", c.quoted))
			if err != nil {
				return nil, 0, "", err
			}
			for r.Next() {
				err = r.Scan(&c.Rows, &c.HighestID, &row0)
			}
			r.Close()
			if err == nil {
				err = r.Err()
			}
			if err != nil {
				return nil, 0, "", err
			}
		}
		if c.relname == name || row0 {
			found = append(found, c.FoundTable)
		}
	}
	return found, candidates, searchPath, nil
}

// ensureRow0 adds postgres-migrations' row 0 to a tracking table that has
// none, as postgres-migrations does. Call it with the migration lock held.
func ensureRow0(ctx context.Context, conn *sql.Conn, t trackingTable, rows []appliedRow) error {
	if hasRow0(rows) {
		return nil
	}
	if _, err := conn.ExecContext(ctx, pgsql.Render(pgsql.InsertRow0, "table", t.qualified)); err != nil {
		return fmt.Errorf("adding row 0 to tracking table %s: %w", t.display, err)
	}
	return nil
}

// readApplied reads the tracking table's rows in id order.
func readApplied(ctx context.Context, q queryer, t trackingTable) ([]appliedRow, error) {
	duration := "NULL::integer"
	if t.hasDuration {
		duration = "duration_ms"
	}
	rows, err := q.QueryContext(ctx, pgsql.Render(pgsql.AppliedRows, "table", t.qualified, "duration", duration))
	if err != nil {
		return nil, fmt.Errorf("reading tracking table %s: %w", t.display, err)
	}
	defer rows.Close()
	var out []appliedRow
	for rows.Next() {
		var r appliedRow
		var at sql.NullTime
		var ms sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Name, &r.Hash, &at, &ms); err != nil {
			return nil, fmt.Errorf("reading tracking table %s: %w", t.display, err)
		}
		r.ExecutedAt = at.Time
		r.Duration = time.Duration(ms.Int64) * time.Millisecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading tracking table %s: %w", t.display, err)
	}
	return out, nil
}

// recordStatement returns the INSERT of a migration's bookkeeping row.
// durationSQL is an SQL expression for duration_ms, used when the table has
// that column.
func (t trackingTable) recordStatement(mig Migration, durationSQL string) string {
	col, val := "", ""
	if t.hasDuration {
		col, val = ", duration_ms", ", "+durationSQL
	}
	return pgsql.Render(pgsql.RecordMigration, "table", t.qualified, "id", strconv.Itoa(mig.ID),
		"name", pq.QuoteLiteral(mig.Name), "hash", pq.QuoteLiteral(mig.Hash),
		"duration_col", col, "duration_val", val)
}

// splitQualifiedName splits "schema.table" where either part may be
// double-quoted; unquoted parts are folded to lower case as PostgreSQL does.
func splitQualifiedName(s string) (schema, table string, err error) {
	var parts []string
	rest := strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			var b strings.Builder
			for {
				i := strings.IndexByte(rest[end:], '"')
				if i < 0 {
					return "", "", errors.New("unterminated quoted identifier")
				}
				b.WriteString(rest[end : end+i])
				end += i + 1
				if end < len(rest) && rest[end] == '"' {
					b.WriteByte('"')
					end++
					continue
				}
				break
			}
			part, rest = b.String(), rest[end:]
		} else {
			i := strings.IndexByte(rest, '.')
			if i < 0 {
				i = len(rest)
			}
			part, rest = strings.ToLower(strings.TrimSpace(rest[:i])), rest[i:]
			if strings.ContainsAny(part, `" `) {
				return "", "", errors.New(`unquoted names cannot contain spaces or '"'; quote them with double quotes`)
			}
		}
		if part == "" {
			return "", "", errors.New("empty name")
		}
		parts = append(parts, part)
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return "", "", errors.New("expected '.' between schema and table")
		}
		rest = rest[1:]
	}
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	default:
		return "", "", errors.New("expected [schema.]table")
	}
}
