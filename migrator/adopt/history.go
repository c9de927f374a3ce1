package adopt

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Tool is a migration tool whose history pgmig can adopt.
type Tool string

// The tools pgmig adopts from, as PostgreSQL sees them.
const (
	Goose         Tool = "goose"          // pressly/goose: goose_db_version, one row per up or down
	GolangMigrate Tool = "golang-migrate" // golang-migrate/migrate: schema_migrations (version, dirty), one row
	Tern          Tool = "tern"           // jackc/tern: schema_version (version), one row
	Dbmate        Tool = "dbmate"         // amacneil/dbmate: schema_migrations (version), one row per applied version
	Flyway        Tool = "flyway"         // Flyway: flyway_schema_history, one row per run
)

// Tools lists the tools pgmig adopts from.
var Tools = []Tool{Goose, GolangMigrate, Tern, Dbmate, Flyway}

// DefaultTable returns the name of the tool's history table when nothing
// else is configured ("" for an unknown tool).
func (t Tool) DefaultTable() string {
	switch t {
	case Goose:
		return "goose_db_version"
	case GolangMigrate, Dbmate:
		return "schema_migrations"
	case Tern:
		return "schema_version"
	case Flyway:
		return "flyway_schema_history"
	}
	return ""
}

// columns are the columns each tool creates that pgmig reads.
var columns = map[Tool][]string{
	Goose:         {"version_id", "is_applied", "tstamp"},
	GolangMigrate: {"version", "dirty"},
	Tern:          {"version"},
	Dbmate:        {"version"},
	Flyway:        {"installed_rank", "version", "description", "type", "script", "success", "installed_on"},
}

// History is what another tool's table says is applied.
type History struct {
	Tool  Tool
	Table string // schema-qualified
	// Applied are the versions the table names as applied, one entry per
	// version (the newest row), in the table's order.
	Applied []Entry
	// Through, when not "", makes every version up to it count as applied:
	// golang-migrate's and tern's current version, Flyway's baseline.
	Through string
	// ThroughNeedsFile: Through names a migration that ran (golang-migrate,
	// tern), so a file must stand for it; a Flyway baseline needs none.
	ThroughNeedsFile bool
	// Ignored are rows that are no migration pgmig can stand for (Flyway's
	// repeatable migrations and schema creation row), with the reason.
	Ignored []Entry
	// Problems are what the table itself shows to be unclean.
	Problems []Problem
}

// Entry is one version of another tool's history.
type Entry struct {
	Version     string
	Description string    // Flyway's description (or script), else ""
	AppliedAt   time.Time // zero when the tool does not keep it
	Reason      string    // for ignored rows: why
}

// Read reads tool's history from its table: table as [schema.]name, ""
// for the tool's default name, resolved through the search path. It only
// reads, in a read-only transaction.
//
// Errors: *TableNotFoundError, *LayoutError (the table lacks the tool's
// columns, or has golang-migrate's dirty column when dbmate's was asked
// for), and the driver's errors.
func Read(ctx context.Context, db *sql.DB, tool Tool, table string) (*History, error) {
	if tool.DefaultTable() == "" {
		return nil, fmt.Errorf("unknown migration tool %q (known: %s)", tool, toolList())
	}
	if table == "" {
		table = tool.DefaultTable()
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	qualified, display, err := resolve(ctx, tx, tool, table)
	if err != nil {
		return nil, err
	}
	h := &History{Tool: tool, Table: display}
	switch tool {
	case Goose:
		err = readGoose(ctx, tx, qualified, h)
	case GolangMigrate:
		err = readMigrate(ctx, tx, qualified, h)
	case Tern:
		err = readTern(ctx, tx, qualified, h)
	case Dbmate:
		err = readDbmate(ctx, tx, qualified, h)
	case Flyway:
		err = readFlyway(ctx, tx, qualified, h)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s history table %s: %w", tool, display, err)
	}
	return h, nil
}

func toolList() string {
	names := make([]string, len(Tools))
	for i, t := range Tools {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// resolve finds the table and checks that it has the tool's columns. It
// returns the table quoted for SQL and as schema.name for messages.
func resolve(ctx context.Context, tx *sql.Tx, tool Tool, table string) (qualified, display string, err error) {
	rows, err := tx.QueryContext(ctx, pgsql.Render(pgsql.AdoptTable, "regclass", pq.QuoteLiteral(table)))
	if err != nil {
		return "", "", fmt.Errorf("looking up %s history table %s: %w", tool, table, err)
	}
	defer rows.Close()
	var schema, name, kind, searchPath string
	have := map[string]bool{}
	for rows.Next() {
		var nsp, rel, quoted, rk, col, typ sql.NullString
		if err := rows.Scan(&nsp, &rel, &quoted, &rk, &col, &typ, &searchPath); err != nil {
			return "", "", err
		}
		schema, name, qualified, kind = nsp.String, rel.String, quoted.String, rk.String
		if col.Valid {
			have[col.String] = true
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("looking up %s history table %s: %w", tool, table, err)
	}
	if schema == "" {
		e := &TableNotFoundError{Tool: tool, Table: table, SearchPath: searchPath}
		if !strings.ContainsAny(table, `."`) {
			if e.Elsewhere, err = tablesNamed(ctx, tx, table); err != nil {
				return "", "", fmt.Errorf("looking up %s history table %s: %w", tool, table, err)
			}
		}
		return "", "", e
	}
	display = schema + "." + name
	if kind != "r" && kind != "p" && kind != "v" && kind != "m" {
		return "", "", &LayoutError{Tool: tool, Table: display, Problem: "it is not a table"}
	}
	var missing []string
	for _, c := range columns[tool] {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if tool == Goose && len(missing) == 1 && missing[0] == "tstamp" {
		missing = nil // the time is only shown
	}
	switch {
	case len(missing) > 0:
		return "", "", &LayoutError{Tool: tool, Table: display, Problem: "no column " + strings.Join(missing, ", ")}
	case tool == Dbmate && have["dirty"]:
		return "", "", &LayoutError{Tool: tool, Table: display, Problem: "it has golang-migrate's dirty column: it is golang-migrate's schema_migrations"}
	}
	return qualified, display, nil
}

// tablesNamed lists the tables called name in any schema.
func tablesNamed(ctx context.Context, tx *sql.Tx, name string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, pgsql.AdoptTablesNamed, strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// readGoose: the newest row of each version decides (goose's own rule);
// version 0 is the row goose writes when it creates the table.
func readGoose(ctx context.Context, tx *sql.Tx, table string, h *History) error {
	rows, err := tx.QueryContext(ctx, pgsql.Render(pgsql.AdoptGooseRows, "table", table))
	if err != nil {
		return err
	}
	defer rows.Close()
	type state struct {
		applied bool
		at      time.Time
	}
	latest := map[string]state{}
	var order []string
	for rows.Next() {
		var v string
		var applied bool
		var at sql.NullTime
		if err := rows.Scan(&v, &applied, &at); err != nil {
			return err
		}
		if v == "0" {
			continue
		}
		if _, seen := latest[v]; !seen {
			order = append(order, v)
		}
		latest[v] = state{applied, at.Time}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range order {
		s := latest[v]
		if !s.applied {
			h.Problems = append(h.Problems, Problem{Kind: ProblemRolledBack, Version: v,
				Detail: "goose's newest row for it has is_applied = false: it was rolled back, and goose would apply it again"})
			continue
		}
		h.Applied = append(h.Applied, Entry{Version: v, AppliedAt: s.at})
	}
	return nil
}

// readMigrate: one row, the current version; every version up to it is
// applied unless the row is dirty.
func readMigrate(ctx context.Context, tx *sql.Tx, table string, h *History) error {
	rows, err := tx.QueryContext(ctx, pgsql.Render(pgsql.AdoptMigrateRows, "table", table))
	if err != nil {
		return err
	}
	defer rows.Close()
	var versions []string
	var dirty []bool
	for rows.Next() {
		var v string
		var d bool
		if err := rows.Scan(&v, &d); err != nil {
			return err
		}
		versions, dirty = append(versions, v), append(dirty, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case len(versions) > 1:
		h.Problems = append(h.Problems, Problem{Kind: ProblemMalformed,
			Detail: fmt.Sprintf("%d rows (versions %s); golang-migrate keeps one, its current version", len(versions), strings.Join(versions, ", "))})
	case len(versions) == 1 && dirty[0]:
		h.Problems = append(h.Problems, Problem{Kind: ProblemDirty, Version: versions[0],
			Detail: "dirty: golang-migrate's last run of this version failed part-way, and its changes may be partly in the database"})
	case len(versions) == 1 && versions[0] != "-1":
		h.Through, h.ThroughNeedsFile = versions[0], true
	}
	return nil
}

// readTern: one row, the current version (0 before the first migration).
func readTern(ctx context.Context, tx *sql.Tx, table string, h *History) error {
	versions, err := readVersions(ctx, tx, table)
	if err != nil {
		return err
	}
	switch {
	case len(versions) > 1:
		h.Problems = append(h.Problems, Problem{Kind: ProblemMalformed,
			Detail: fmt.Sprintf("%d rows (versions %s); tern keeps one, its current version", len(versions), strings.Join(versions, ", "))})
	case len(versions) == 1 && versions[0] != "0":
		h.Through, h.ThroughNeedsFile = versions[0], true
	}
	return nil
}

// readDbmate: one row per applied version.
func readDbmate(ctx context.Context, tx *sql.Tx, table string, h *History) error {
	versions, err := readVersions(ctx, tx, table)
	if err != nil {
		return err
	}
	slices.SortStableFunc(versions, compareVersions)
	for _, v := range versions {
		h.Applied = append(h.Applied, Entry{Version: v})
	}
	return nil
}

func readVersions(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, pgsql.Render(pgsql.AdoptVersionRows, "table", table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
