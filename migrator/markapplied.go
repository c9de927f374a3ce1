package migrator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// MarkResult describes what [Migrator.MarkApplied] recorded, or what
// [Migrator.PlanMarkApplied] would record.
type MarkResult struct {
	Table string // tracking table, schema-qualified once it exists
	// CreateTable is true when the tracking table did not exist: it was
	// created (or would be) together with the rows.
	CreateTable bool
	// Recorded are the migrations at or below the target that had no row:
	// recorded by this call (or to be), in id order.
	Recorded []Migration
	// AlreadyRecorded are the migrations that had a row before the call,
	// whatever their id, with the file's hash (or a disable-hash-check
	// file): nothing is written for them.
	AlreadyRecorded []Migration
	// Pending are the migrations above the target without a row: they
	// are left for Apply.
	Pending []Migration
}

// MarkApplied records migrations 1 to through as applied without running
// them, for a database whose schema another tool (or a person) already
// brought to that point. Each gets the row Apply would have written: id,
// name, the hash of the file as it is now, no duration. through 0 records
// nothing.
//
// It takes the migration lock, and writes everything in one transaction:
// the tracking table with its row 0 when there is none (as Apply creates
// it), row 0 when the table lacks it, and the missing rows. Rows already
// there for a migration are kept as they are, so a second call with the
// same target writes nothing. When nothing is missing nothing is written,
// not even the tracking table.
//
// Errors: *TargetError (through is negative or above the highest file),
// *IntegrityError (rows already in the tracking table disagree with the
// files: a changed or missing file; nothing written), *ConnectError,
// *LockTimeoutError (matches ErrLockTimeout), *TableError,
// *TableElsewhereError, *ReadOnlyError, *PoolerError,
// *ConnectionLostError, or the context's error when cancelled.
func (m *Migrator) MarkApplied(ctx context.Context, through int) (_ *MarkResult, err error) {
	if err := m.checkTarget(through); err != nil {
		return nil, err
	}
	conn, cerr := m.db.Conn(ctx)
	if cerr != nil {
		return nil, &ConnectError{Err: cerr}
	}
	defer conn.Close()
	pid, _, err := m.lock(ctx, conn, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !m.unlock(ctx, conn, pid) {
			var pe *PoolerError
			if errors.As(err, &pe) {
				pe.Stranded = true
			}
		}
	}()
	if err := m.checkOwnSession(ctx, pid); err != nil {
		return nil, err
	}
	s := &session{conn: conn, pid: pid}

	table, exists, err := m.resolveTable(ctx, conn)
	if err != nil {
		return nil, m.asConnectionLost(ctx, err, "looking up the tracking table", nil, 0)
	}
	var rows []appliedRow
	if exists {
		if rows, err = readApplied(ctx, conn, table); err != nil {
			return nil, m.asConnectionLost(ctx, err, "reading the tracking table", nil, 0)
		}
	} else if err := m.checkElsewhere(ctx, conn); err != nil {
		return nil, m.asConnectionLost(ctx, err, "looking up the tracking table", nil, 0)
	}
	res, err := m.markPlan(statusOfFiles(m.fsys, m.migrations, rows), through)
	if err != nil {
		return nil, err
	}
	res.Table, res.CreateTable = m.opts.displayTable(), !exists
	if exists {
		res.Table = table.display
	}
	if len(res.Recorded) == 0 {
		res.CreateTable = false
		return res, nil
	}

	var b strings.Builder
	b.WriteString(pgsql.BeginMigration + "\n" + s.assertLock() + "\n")
	if !exists {
		name := pq.QuoteIdentifier(m.opts.table)
		if m.opts.schema != "" {
			name = pq.QuoteIdentifier(m.opts.schema) + "." + name
		}
		b.WriteString(pgsql.Render(pgsql.CreateTable, "table", name) + "\n")
		// The rows go into the table just created: name it as it will
		// resolve, with the duration column it has.
		table = trackingTable{qualified: name, display: m.opts.displayTable(), hasDuration: true}
	} else if !hasRow0(rows) {
		b.WriteString(pgsql.Render(pgsql.InsertRow0, "table", table.qualified) + ";\n")
	}
	for _, mig := range res.Recorded {
		b.WriteString(table.recordStatement(mig, "NULL") + ";\n")
	}
	b.WriteString(pgsql.Commit)
	if _, err := conn.ExecContext(ctx, b.String()); err != nil {
		rollback(ctx, conn)
		if sqlState(err) == "PGM01" {
			return nil, &PoolerError{PID: pid, Reason: "the transaction recording the migrations ran on another server process than the one holding the migration lock (nothing was recorded)"}
		}
		if lost := m.asConnectionLost(ctx, err, "recording migrations as applied", nil, 0); lost != err {
			return nil, lost
		}
		return nil, fmt.Errorf("recording %d migrations as applied in tracking table %s (nothing was recorded): %w", len(res.Recorded), m.opts.displayTable(), err)
	}
	if !exists {
		m.opts.log.Info("created tracking table", "table", m.opts.displayTable())
		if t, ok, err := m.resolveTable(ctx, conn); err == nil && ok {
			res.Table = t.display
		}
	}
	for _, mig := range res.Recorded {
		m.opts.log.Info("recorded migration as applied without running it", "id", mig.ID, "name", mig.Name, "file", mig.File)
	}
	return res, nil
}

// PlanMarkApplied reports what [Migrator.MarkApplied] would record, with
// the same checks, and changes nothing: it takes no lock and runs in a
// read-only transaction.
//
// Errors: those of MarkApplied, except lock errors.
func (m *Migrator) PlanMarkApplied(ctx context.Context, through int) (*MarkResult, error) {
	if err := m.checkTarget(through); err != nil {
		return nil, err
	}
	st, err := m.Status(ctx)
	if st == nil {
		return nil, err
	}
	// A pending file that breaks a rule about how it would run (a
	// *FileError from Status) does not stop marking: marked files never run.
	res, err := m.markPlan(st.Migrations, through)
	if err != nil {
		return nil, err
	}
	res.Table, res.CreateTable = st.Table, !st.TableExists && len(res.Recorded) > 0
	return res, nil
}

// markPlan sorts the migrations into those MarkApplied records, those
// already recorded and those left pending. Rows that disagree with the
// files are an *IntegrityError.
func (m *Migrator) markPlan(sts []MigrationStatus, through int) (*MarkResult, error) {
	if err := integrityError(sts); err != nil {
		return nil, err
	}
	res := &MarkResult{}
	for _, s := range sts {
		mig := m.byID(s.ID)
		switch {
		case s.State != StatePending:
			res.AlreadyRecorded = append(res.AlreadyRecorded, mig)
		case s.ID <= through:
			res.Recorded = append(res.Recorded, mig)
		default:
			res.Pending = append(res.Pending, mig)
		}
	}
	return res, nil
}

// hasRow0 reports whether the tracking table has postgres-migrations' row 0.
func hasRow0(rows []appliedRow) bool {
	for _, r := range rows {
		if r.ID == 0 {
			return true
		}
	}
	return false
}
