package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/lib/pq"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
	pgsql "github.com/pgmig/pgmig/sql"
)

// Measurement is what PostgreSQL itself reported for one statement on one
// relation that existed before the run: the strongest table lock the
// session held on it after the statement, whether the statement gave it
// a new file (a rewrite) and whether it scanned it.
type Measurement struct {
	File      string
	Statement int // 1-based index of the statement in the file
	Relation  string
	Lock      Lock
	Rewrite   bool
	Scan      bool
}

// MeasureError reports a migration that failed on the dev database.
type MeasureError struct {
	File string
	Err  error
}

func (e *MeasureError) Error() string {
	return fmt.Sprintf("measure %s on the dev database: %v", e.File, e.Err)
}

// Unwrap returns the server's error.
func (e *MeasureError) Unwrap() error { return e.Err }

// Measure runs the migrations that res reports on (those of
// [WithPending], else every one) in db, a scratch database that holds
// what the migrations before them built, and reads what PostgreSQL did:
// the locks its own session holds (pg_locks), which pre-existing
// relations got a new relfilenode (a rewrite) and which were scanned in
// the transaction (pg_stat_get_xact_numscans). A transactional migration
// runs statement by statement in one transaction, committed at the end;
// in a disable-transaction file, each statement runs in a transaction of
// its own unless PostgreSQL refuses that (CREATE INDEX CONCURRENTLY,
// VACUUM): then it runs alone, and its findings keep the documented lock.
// Before each migration, tables with no row get three rows, so that
// scans are real. Relations created earlier in the same run are new, as
// for the static rules. The findings of res that name a measured
// relation get the measured facts (Finding.Measured).
//
// Measure changes db: it is meant for a dev database, never the target.
//
// Errors: a *MeasureError when a migration fails on db; the driver's
// errors when the measuring queries fail.
func Measure(ctx context.Context, db *sql.DB, fsys fs.FS, migs []migrator.Migration, res *Result, opts ...Option) ([]Measurement, error) {
	o := options{version: NewestVersion, onePerRun: true}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, &migrator.OptionError{Err: err}
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	m := &measurer{ctx: ctx, conn: conn, seeded: map[int64]bool{}}
	var out []Measurement
	var existing map[int64]bool
	for _, mig := range migs {
		if !o.onePerRun && !slices.Contains(o.pending, mig.ID) {
			continue
		}
		src, err := fs.ReadFile(fsys, mig.File)
		if err != nil {
			return nil, err
		}
		if err := m.seed(); err != nil {
			return nil, err
		}
		if existing == nil || o.onePerRun {
			if existing, err = m.relations(); err != nil {
				return nil, err
			}
		}
		ms, err := m.migration(mig, string(src), existing)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	if res != nil {
		apply(res, out)
	}
	return out, nil
}

// apply overrides the static lock, rewrite and scan of each finding with
// what was measured on its relation by its statement.
func apply(res *Result, ms []Measurement) {
	for i := range res.Findings {
		f := &res.Findings[i]
		for _, m := range ms {
			if m.File == f.File && m.Statement == f.Statement && m.Relation == f.Relation && f.Lock != NoLock {
				f.Lock, f.Blocks, f.Measured = m.Lock, m.Lock.Blocks(), true
				f.Rewrite, f.Scan = m.Rewrite, m.Scan && !m.Rewrite
				break
			}
		}
	}
}

type measurer struct {
	ctx    context.Context
	conn   *sql.Conn
	seeded map[int64]bool // tables known to have rows
}

// relFacts are a relation's file number and scans.
type relFacts struct{ filenode, scans int64 }

// relations returns the oids of the relations that exist now.
func (m *measurer) relations() (map[int64]bool, error) {
	facts, err := m.facts(m.conn)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for oid := range facts {
		out[oid] = true
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (m *measurer) facts(q querier) (map[int64]relFacts, error) {
	rows, err := q.QueryContext(m.ctx, pgsql.LintRelations)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]relFacts{}
	for rows.Next() {
		var oid int64
		var f relFacts
		if err := rows.Scan(&oid, &f.filenode, &f.scans); err != nil {
			return nil, err
		}
		out[oid] = f
	}
	return out, rows.Err()
}

func (m *measurer) locks(q querier) (map[int64]Lock, error) {
	rows, err := q.QueryContext(m.ctx, pgsql.LintLocks)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Lock{}
	for rows.Next() {
		var oid int64
		var mode string
		if err := rows.Scan(&oid, &mode); err != nil {
			return nil, err
		}
		if l, ok := ParseLock(mode); ok && l > out[oid] {
			out[oid] = l
		}
	}
	return out, rows.Err()
}

// migration runs one migration and measures each of its statements.
func (m *measurer) migration(mig migrator.Migration, src string, existing map[int64]bool) ([]Measurement, error) {
	stmts, _, err := sqlscan.SplitScript(src)
	if err != nil {
		return nil, &MeasureError{File: mig.File, Err: err}
	}
	var (
		out []Measurement
		tx  *sql.Tx
	)
	begin := func() error {
		var err error
		tx, err = m.conn.BeginTx(m.ctx, nil)
		return err
	}
	if !mig.DisableTransaction {
		if err := begin(); err != nil {
			return nil, err
		}
		defer func() {
			if tx != nil {
				_ = tx.Rollback()
			}
		}()
	}
	for i, s := range stmts {
		if isTransactionControl(s.Text) {
			// The BEGIN ... COMMIT wrapper that apply skips in a
			// transactional file; in a disable-transaction file, each
			// statement is measured in a transaction of its own anyway.
			continue
		}
		if mig.DisableTransaction {
			if err := begin(); err != nil {
				return nil, err
			}
		}
		ms, err := m.statement(tx, mig.File, i+1, s.Text, existing)
		if mig.DisableTransaction {
			var pe *pq.Error
			if errors.As(err, &pe) && pe.Code == "25001" { // cannot run inside a transaction block
				_ = tx.Rollback()
				tx = nil
				if _, err := m.conn.ExecContext(m.ctx, s.Text); err != nil {
					return nil, &MeasureError{File: mig.File, Err: err}
				}
				continue
			}
			if err == nil {
				err = tx.Commit()
			} else {
				_ = tx.Rollback()
			}
			tx = nil
		}
		if err != nil {
			return nil, &MeasureError{File: mig.File, Err: err}
		}
		out = append(out, ms...)
	}
	if tx != nil {
		err := tx.Commit()
		tx = nil
		if err != nil {
			return nil, &MeasureError{File: mig.File, Err: err}
		}
	}
	// As apply does: what the migration SET (search_path, role) does not
	// reach the next one.
	if _, err := m.conn.ExecContext(m.ctx, pgsql.ResetSession); err != nil {
		return nil, err
	}
	return out, nil
}

// isTransactionControl reports whether a statement is BEGIN, START
// TRANSACTION, COMMIT or END.
func isTransactionControl(text string) bool {
	node, _, err := parseStatement(text)
	return err == nil && node.GetTransactionStmt() != nil
}

// statement runs one statement in tx and measures what it did to the
// relations that existed before the run.
func (m *measurer) statement(tx *sql.Tx, file string, n int, text string, existing map[int64]bool) ([]Measurement, error) {
	before, err := m.facts(tx)
	if err != nil {
		return nil, err
	}
	names := m.names(tx, text)
	if _, err := tx.ExecContext(m.ctx, text); err != nil {
		return nil, err
	}
	locks, err := m.locks(tx)
	if err != nil {
		return nil, err
	}
	after, err := m.facts(tx)
	if err != nil {
		return nil, err
	}
	truncate := isTruncate(text)
	var out []Measurement
	for name, oid := range names {
		if !existing[oid] {
			continue
		}
		b, a := before[oid], after[oid]
		m := Measurement{File: file, Statement: n, Relation: name, Lock: locks[oid],
			Rewrite: a.filenode != 0 && a.filenode != b.filenode, Scan: a.scans > b.scans}
		if truncate {
			// TRUNCATE gives the table a new, empty file: no row is
			// rewritten or read.
			m.Rewrite, m.Scan = false, false
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Measurement) int { return compareStrings(a.Relation, b.Relation) })
	return out, nil
}

// names resolves the relations a statement names (as lint names them in
// findings) to oids, before it runs.
func (m *measurer) names(tx *sql.Tx, text string) map[string]int64 {
	out := map[string]int64{}
	node, _, err := parseStatement(text)
	if err != nil {
		return out
	}
	for _, name := range relationNames(node) {
		var oid int64
		if err := tx.QueryRowContext(m.ctx, pgsql.LintRegclass, name).Scan(&oid); err == nil && oid != 0 {
			out[name] = oid
		}
	}
	return out
}

// isTruncate reports whether a statement is TRUNCATE.
func isTruncate(text string) bool {
	node, _, err := parseStatement(text)
	return err == nil && node.GetTruncateStmt() != nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
