package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/adopt"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/drift"
)

// Exit codes of pgmig. exitCodes below describes each; --help, the JSON
// error.kind and the README's table (checked by a test) all come from it.
const (
	exitOK             = 0   // success
	exitFailure        = 1   // any other error
	exitUsage          = 2   // bad command line
	exitInvalidFiles   = 3   // migration folder or files invalid
	exitIntegrity      = 4   // applied migration changed or missing
	exitSQL            = 5   // a migration or pgmig's own SQL failed
	exitLockTimeout    = 6   // --lock-wait ran out
	exitConnect        = 7   // cannot connect to the database
	exitPending        = 8   // verify, drift --against: migrations are pending
	exitTable          = 9   // tracking table of another shape
	exitTableElsewhere = 10  // tracking table not found, but one exists in another schema
	exitReadOnly       = 11  // hot standby or read-only session
	exitPooler         = 12  // connection pooler in transaction or statement mode
	exitRefused        = 13  // dropdb, reset: not confirmed, or a remote server
	exitRenumber       = 14  // renumber: a file that would be renamed is applied
	exitLint           = 15  // lint: a finding of error severity (or a warning with --strict)
	exitDrift          = 16  // drift, schema --check: the schema differs
	exitAdoptUnclean   = 17  // adopt: the other tool's history is not clean
	exitInterrupted    = 130 // SIGINT or SIGTERM
)

// exitCodeInfo describes one exit code: kind is the JSON error.kind,
// meaning the line in --help and in the README.
type exitCodeInfo struct {
	code          int
	kind, meaning string
}

// exitCodes is the one table of pgmig's exit codes.
var exitCodes = []exitCodeInfo{
	{exitOK, "", "success"},
	{exitFailure, "other", "other error"},
	{exitUsage, "usage", "usage error: bad flags or arguments, invalid connection settings, --to below an applied migration or above the last file"},
	{exitInvalidFiles, "invalid-files", "invalid migration files or folder: bad name, gap, duplicate id, not UTF-8; in files still to run, transaction control, unknown headers, psql meta-commands"},
	{exitIntegrity, "integrity", "integrity failure: an applied migration's file changed or is missing"},
	{exitSQL, "sql", "SQL failure: a migration (or pgmig's own SQL) failed"},
	{exitLockTimeout, "lock-timeout", "--lock-wait ran out while another run held the migration lock"},
	{exitConnect, "connect", "cannot connect to the database, or lost the connection during the run (a rerun finishes the job)"},
	{exitPending, "pending", "verify, drift --against: migrations are pending (--allow-pending accepts them)"},
	{exitTable, "tracking-table", "the tracking table exists with another shape"},
	{exitTableElsewhere, "table-elsewhere", "the tracking table is not where pgmig looks, but tables of its layout exist in other schemas: nothing was created or applied"},
	{exitReadOnly, "read-only", "the server is a hot standby or the session is read-only: nothing was changed"},
	{exitPooler, "pooler", "the connection does not keep one server session (a pooler in transaction or statement mode): nothing more was run"},
	{exitRefused, "refused", "dropdb, reset: refused to destroy a database, not confirmed (--yes, or the name typed on a terminal) or on a server not on this machine (--allow-remote): nothing was changed"},
	{exitRenumber, "applied-would-move", "renumber: a file that would be renamed is applied in the database: nothing was renamed"},
	{exitLint, "lint", "lint: a finding of error severity, or of any severity with --strict; apply --lint: nothing was applied"},
	{exitDrift, "drift", "drift: the database's schema differs from what its migrations build (or from --against schema.sql); schema --check: the file is out of date"},
	{exitAdoptUnclean, "adopt-unclean", "adopt: the other tool's history is not clean (dirty, failed, rolled back, a version without a file, a file missing in the middle): nothing was written"},
	{exitInterrupted, "interrupted", "interrupted by SIGINT or SIGTERM: the running migration was cancelled and rolled back"},
}

// exitCodeHelp is the exit-code section of --help.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "\n  %-4d %s", e.code, e.meaning)
	}
	return b.String()
}

// usageError is a command-line mistake found after parsing.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// refusedError is a destructive command that pgmig refuses to run:
// not confirmed, or aimed at a server on another machine.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// folderError is a migrations folder that cannot be used.
type folderError struct{ msg string }

func (e *folderError) Error() string { return e.msg }

// errorKind names the error as the exit code does.
func errorKind(err error) string {
	code := exitCode(err)
	for _, e := range exitCodes {
		if e.code == code {
			return e.kind
		}
	}
	return "other"
}

// exitCode decides the process exit code from an error. It is the only
// place that does.
func exitCode(err error) int {
	var (
		usage     *usageError
		folder    *folderError
		listing   *migrator.FolderError
		files     *migrator.FileError
		integrity *migrator.IntegrityError
		mig       *migrator.MigrationError
		connect   *migrator.ConnectError
		target    *migrator.TargetError
		pending   *migrator.PendingError
		option    *migrator.OptionError
		single    *migrator.SingleTransactionError
		lostConn  *migrator.ConnectionLostError
		table     *migrator.TableError
		elsewhere *migrator.TableElsewhereError
		readOnly  *migrator.ReadOnlyError
		pooler    *migrator.PoolerError
		refused   *refusedError
		applied   *appliedError
		linted    *lintError
		drifted   *drift.Error
		stale     *staleSchemaError
		parse     *drift.ParseError
		devSetup  *devdb.SetupError
		unclean   *adopt.UncleanError
		adoptArg  *adopt.MapError
		notFound  *adopt.TableNotFoundError
		layout    *adopt.LayoutError
		server    interface{ SQLState() string }
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &refused):
		return exitRefused
	case errors.As(err, &applied):
		return exitRenumber
	case errors.As(err, &linted):
		return exitLint
	case errors.As(err, &drifted), errors.As(err, &stale):
		return exitDrift
	case errors.As(err, &parse), errors.Is(err, devdb.ErrTargetDatabase):
		return exitUsage
	case errors.As(err, &unclean):
		return exitAdoptUnclean
	case errors.As(err, &adoptArg), errors.As(err, &notFound), errors.As(err, &layout):
		return exitUsage
	case errors.Is(err, migrator.ErrCurrentDatabase):
		return exitUsage
	case errors.As(err, &usage), errors.As(err, &target), errors.As(err, &option), errors.As(err, &single):
		return exitUsage
	case errors.As(err, &folder), errors.As(err, &listing), errors.As(err, &files):
		return exitInvalidFiles
	case errors.As(err, &integrity):
		return exitIntegrity
	case errors.As(err, &pending):
		return exitPending
	case errors.Is(err, migrator.ErrLockTimeout):
		return exitLockTimeout
	case errors.As(err, &table):
		return exitTable
	case errors.As(err, &elsewhere):
		return exitTableElsewhere
	case errors.As(err, &readOnly):
		return exitReadOnly
	case errors.As(err, &pooler):
		return exitPooler
	case errors.As(err, &connect), errors.As(err, &lostConn):
		return exitConnect
	case errors.As(err, &mig), errors.As(err, &server), errors.As(err, &devSetup):
		return exitSQL
	default:
		return exitFailure
	}
}
