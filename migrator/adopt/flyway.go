package adopt

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	pgsql "github.com/pgmig/pgmig/sql"
)

// Flyway's history has one row per run, in installed_rank order, of these
// types (the type column):
//   - SQL, JDBC, SCRIPT, ...: a versioned migration, or a repeatable one
//     (R__ files) when version is NULL;
//   - BASELINE: "the database was already at this version": every version
//     up to it counts as applied; SQL_BASELINE and JDBC_BASELINE (baseline
//     migrations, B__ files) mean the same;
//   - SCHEMA: Flyway created the schemas, no migration;
//   - UNDO_SQL, UNDO_JDBC, UNDO_SCRIPT: a version undone;
//   - DELETE: a version marked deleted by flyway repair (its file is gone).
//
// pgmig adopts the versioned migrations whose newest row applies them, and
// the baseline. A row with success = false, and a version whose newest row
// undoes or deletes it, make it refuse: Flyway itself refuses to go on
// until they are repaired, and pgmig cannot tell what of them is in the
// database. Repeatable migrations are not adopted: pgmig has none, and
// reports them as ignored (their effect stays in the database; a
// repeatable migration that must keep running becomes a numbered file).

// readFlyway reads flyway_schema_history into h.
func readFlyway(ctx context.Context, tx *sql.Tx, table string, h *History) error {
	rows, err := tx.QueryContext(ctx, pgsql.Render(pgsql.AdoptFlywayRows, "table", table))
	if err != nil {
		return err
	}
	defer rows.Close()
	type state struct {
		entry   Entry
		undone  string // the type that undid it, "" when applied
		applied bool
	}
	latest := map[string]*state{}
	var order []string
	for rows.Next() {
		var rank int64
		var version sql.NullString
		var description, typ, script string
		var success bool
		var at sql.NullTime
		if err := rows.Scan(&rank, &version, &description, &typ, &script, &success, &at); err != nil {
			return err
		}
		typ = strings.ToUpper(typ)
		e := Entry{Version: version.String, Description: description, AppliedAt: at.Time}
		switch {
		case !success:
			what := "script " + script
			if version.Valid {
				what = script
			}
			h.Problems = append(h.Problems, Problem{Kind: ProblemFailed, Version: version.String,
				Detail: fmt.Sprintf("%s failed (installed_rank %d, success = false); Flyway refuses to continue until it is repaired", what, rank)})
		case typ == "SCHEMA":
			e.Reason = "Flyway's row for creating the schemas, no migration"
			h.Ignored = append(h.Ignored, e)
		case strings.HasSuffix(typ, "BASELINE") && version.Valid:
			if h.Through == "" || compareVersions(version.String, h.Through) > 0 {
				h.Through = version.String
			}
		case !version.Valid:
			e.Description = script
			e.Reason = "repeatable migration: pgmig has none, so it is not adopted and never runs again; " +
				"turn it into a numbered file if it must keep running"
			h.Ignored = append(h.Ignored, e)
		default:
			key := versionKey(version.String)
			s, seen := latest[key]
			if !seen {
				s = &state{}
				latest[key] = s
				order = append(order, key)
			}
			s.entry = e
			s.applied, s.undone = true, ""
			if typ == "DELETE" || strings.HasPrefix(typ, "UNDO") {
				s.applied, s.undone = false, typ
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, key := range order {
		s := latest[key]
		if !s.applied {
			h.Problems = append(h.Problems, Problem{Kind: ProblemUndone, Version: s.entry.Version,
				Detail: fmt.Sprintf("Flyway's newest row for it is of type %s: it was undone or marked deleted, and pgmig cannot tell what of it is in the database", s.undone)})
			continue
		}
		h.Applied = append(h.Applied, s.entry)
	}
	return nil
}
