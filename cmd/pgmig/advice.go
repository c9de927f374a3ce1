package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pgmig/pgmig/migrator"
)

// explain adds advice to errors that the library reports as facts: what to
// do about a connection error, a tracking table pgmig cannot use or find, a
// read-only server, a pooler.
func explain(settings *connSettings, err error) error {
	var (
		ce        *migrator.ConnectError
		table     *migrator.TableError
		elsewhere *migrator.TableElsewhereError
		readOnly  *migrator.ReadOnlyError
		pooler    *migrator.PoolerError
		pending   *migrator.PendingError
		single    *migrator.SingleTransactionError
		lost      *migrator.ConnectionLostError
	)
	switch {
	case err == nil:
		return nil
	case isAdoptError(err):
		return explainAdopt(err)
	case settings != nil && errors.As(err, &ce):
		return settings.explainConnectError(ce.Err, "")
	case errors.As(err, &table):
		return withHint(err, "choose another table with --table schema.name")
	case errors.As(err, &elsewhere):
		f := elsewhere.Found[0].Table
		schema, _, _ := strings.Cut(f, ".")
		return withHint(err, fmt.Sprintf("pass --table %s, or give pgmig the search path the application uses "+
			"(for example PGOPTIONS='-c search_path=%s,public')", f, schema))
	case errors.As(err, &readOnly) && readOnly.Standby:
		return withHint(err, "connect to the primary server; status and verify work on a standby")
	case errors.As(err, &readOnly):
		return withHint(err, "connect with a role or database where default_transaction_read_only is off")
	case errors.As(err, &single):
		return withHint(err, "apply without --single-transaction, or with --to up to the migration before the first of them")
	case errors.As(err, &pending):
		return withHint(err, "run 'pgmig apply' to apply them")
	case errors.As(err, &lost):
		return withHint(err, "run 'pgmig apply' again to finish")
	case errors.Is(err, migrator.ErrCurrentDatabase):
		return withHint(err, "connect through another database of the server with --maintenance-db (for example template1)")
	case errors.As(err, &pooler):
		return withHint(err, "connect to PostgreSQL directly, or through a pooler in session mode (PgBouncer: pool_mode = session): "+
			"pgmig holds the migration lock on one server session for the whole run")
	}
	return err
}

// hinted is an error with advice for the person at the command line.
type hinted struct {
	err  error
	hint string
}

func withHint(err error, hint string) error { return &hinted{err: err, hint: hint} }

func (h *hinted) Error() string { return h.err.Error() + "\nhint: " + h.hint }

func (h *hinted) Unwrap() error { return h.err }
