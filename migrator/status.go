package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// StatusResult describes the database against the migration files.
type StatusResult struct {
	Table       string            // tracking table, schema-qualified when it exists
	TableExists bool              // false on a database pgmig never ran on
	Migrations  []MigrationStatus // files in id order, then applied rows whose file is missing
	// Warnings are rules that applied files break: they no longer matter
	// for them, but would refuse them as new migrations.
	Warnings []FileProblem
}

// Count returns how many migrations are in state s.
func (r *StatusResult) Count(s State) int {
	n := 0
	for _, m := range r.Migrations {
		if m.State == s {
			n++
		}
	}
	return n
}

// Status reports the state of every migration: applied, pending, changed
// since applied, applied but missing, or applied with its hash check
// disabled. It takes no lock and writes nothing (it runs in a read-only
// transaction and does not create the tracking table).
//
// Errors: *ConnectError, *TableError, *TableElsewhereError (the tracking
// table is not where pgmig looks, but one exists in another schema), and
// *FileError, together with the result, when a pending file breaks a rule
// about how it would run.
func (m *Migrator) Status(ctx context.Context) (*StatusResult, error) {
	tx, err := m.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, &ConnectError{Err: err}
	}
	defer tx.Rollback()
	res := &StatusResult{Table: m.opts.displayTable()}
	table, exists, err := m.resolveTable(ctx, tx)
	if err != nil {
		return nil, err
	}
	var rows []appliedRow
	if exists {
		res.Table, res.TableExists = table.display, true
		if rows, err = readApplied(ctx, tx, table); err != nil {
			return nil, err
		}
	} else if err := m.checkElsewhere(ctx, tx); err != nil {
		return nil, err
	}
	res.Migrations = compare(m.fsys, m.migrations, rows)
	res.Warnings, err = m.runnable(res.Migrations, 0)
	return res, err
}

// PendingError reports migrations that are not applied yet. [Migrator.Verify]
// returns it.
type PendingError struct {
	Pending []MigrationStatus
}

func (e *PendingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "database is not fully migrated: %d pending migration", len(e.Pending))
	if len(e.Pending) != 1 {
		b.WriteString("s")
	}
	for i, p := range e.Pending {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Pending)-10)
			break
		}
		b.WriteString("\n  " + p.File)
	}
	b.WriteString("\nrun 'pgmig apply' to apply them")
	return b.String()
}

// VerifyOptions tune [Migrator.Verify].
type VerifyOptions struct {
	AllowPending bool // accept pending migrations; changed and missing files still fail
}

// Verify is the read-only gate for CI and application start-up: it returns
// nil only when every migration is applied and every applied file is
// intact. It takes no lock and writes nothing. The result is returned on
// failure too.
//
// Errors: *IntegrityError (changed or missing files; checked first),
// *FileError (a pending file cannot run), *PendingError, and those of
// [Migrator.Status].
func (m *Migrator) Verify(ctx context.Context, opts VerifyOptions) (*StatusResult, error) {
	res, err := m.Status(ctx)
	if res == nil {
		return res, err
	}
	if err := integrityError(res.Migrations); err != nil {
		return res, err
	}
	if err != nil {
		return res, err
	}
	if !opts.AllowPending {
		var pe PendingError
		for _, s := range res.Migrations {
			if s.State == StatePending {
				pe.Pending = append(pe.Pending, s)
			}
		}
		if len(pe.Pending) > 0 {
			return res, &pe
		}
	}
	return res, nil
}

// PlanResult is what [Migrator.Plan] found: what apply would do now.
type PlanResult struct {
	Table            string
	CreateTable      bool        // apply would create the tracking table
	Pending          []Migration // would run, in this order
	Remaining        int         // pending migrations left out by the target
	AlreadyApplied   int
	HashCheckSkipped []Migration   // changed files whose hash check is disabled
	LockHolders      []LockHolder  // sessions holding the migration lock now (apply would wait)
	Warnings         []FileProblem // rules that applied files break (see StatusResult.Warnings)
}

// Plan runs every check of [Migrator.ApplyTo] (files, hashes, missing
// files, target) and reports what it would run, without changing the
// database: it takes no lock, only looks at who holds it.
//
// Errors: the same as ApplyTo, except lock and migration errors.
func (m *Migrator) Plan(ctx context.Context, target int) (*PlanResult, error) {
	if err := m.checkTarget(target); err != nil {
		return nil, err
	}
	holders, err := queryLockHolders(ctx, m.db)
	if err != nil {
		return nil, &ConnectError{Err: err}
	}
	st, err := m.Status(ctx)
	if st == nil {
		return nil, err
	}
	res := &PlanResult{Table: st.Table, CreateTable: !st.TableExists, LockHolders: holders}
	if err := integrityError(st.Migrations); err != nil {
		return res, err
	}
	if res.Pending, res.Remaining, err = m.pendingUpTo(st.Migrations, target); err != nil {
		return res, err
	}
	if res.Warnings, err = m.runnable(st.Migrations, target); err != nil {
		return res, err
	}
	res.AlreadyApplied, res.HashCheckSkipped = m.applied(st.Migrations)
	return res, nil
}

// IsPending reports whether err says that migrations are pending.
func IsPending(err error) bool {
	var pe *PendingError
	return errors.As(err, &pe)
}
