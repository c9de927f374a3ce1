package lint

import (
	"context"
	"database/sql"
	"errors"

	pgsql "github.com/pgmig/pgmig/sql"
)

// Sizes reads from db, the target database, the size and row estimate of
// the relation of each finding (pg_total_relation_size, reltuples), so
// that a report can say how much a rewrite or a scan has to go through.
// It only reads. A relation the target does not have keeps SizeBytes -1.
//
// Errors: the driver's, when a query fails.
func Sizes(ctx context.Context, db *sql.DB, res *Result) error {
	type size struct {
		bytes int64
		rows  float64
		ok    bool
	}
	seen := map[string]size{}
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Relation == "" || f.Lock == NoLock {
			continue
		}
		s, done := seen[f.Relation]
		if !done {
			err := db.QueryRowContext(ctx, pgsql.LintRelationSize, f.Relation).Scan(&s.bytes, &s.rows)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			default:
				s.ok = true
			}
			seen[f.Relation] = s
		}
		if s.ok {
			f.SizeBytes, f.Rows = s.bytes, max(s.rows, -1)
		}
	}
	return nil
}
