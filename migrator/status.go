package migrator

import (
	"context"
	"database/sql"
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
	res.Migrations = statusOfFiles(m.fsys, m.migrations, rows)
	res.Warnings, err = m.runnable(res.Migrations, 0)
	return res, err
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
