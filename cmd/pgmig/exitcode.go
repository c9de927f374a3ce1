package main

import (
	"context"
	"errors"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
)

// Exit codes of pgmig. They are listed in the README and in `pgmig --help`;
// keep the three in step.
const (
	exitOK           = 0   // success
	exitFailure      = 1   // any other error
	exitUsage        = 2   // bad command line
	exitInvalidFiles = 3   // migration folder or files invalid
	exitIntegrity    = 4   // applied migration changed or missing
	exitSQL          = 5   // a migration or pgmig's own SQL failed
	exitLockTimeout  = 6   // --lock-wait ran out
	exitConnect      = 7   // cannot connect to the database
	exitPending      = 8   // verify: migrations are pending
	exitInterrupted  = 130 // SIGINT or SIGTERM
)

const exitCodeHelp = `Exit codes:
  0    success
  1    other error
  2    usage error (bad flags or arguments)
  3    invalid migration files (bad name, gap, duplicate, not UTF-8, ...)
  4    integrity failure: an applied migration's file changed or is missing
  5    SQL failure: a migration (or pgmig's own SQL) failed
  6    --lock-wait ran out while another run held the migration lock
  7    cannot connect to the database, or lost the connection during the run
  8    verify: pending migrations (database not fully migrated)
  130  interrupted by SIGINT or SIGTERM (current migration rolled back)`

// usageError is a command-line mistake found after parsing.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// folderError is a migrations folder that cannot be used.
type folderError struct{ msg string }

func (e *folderError) Error() string { return e.msg }

// exitCode decides the process exit code from an error. It is the only
// place that does.
func exitCode(err error) int {
	var (
		usage     *usageError
		folder    *folderError
		files     *migrator.FileError
		integrity *migrator.IntegrityError
		mig       *migrator.MigrationError
		connect   *migrator.ConnectError
		target    *migrator.TargetError
		pending   *migrator.PendingError
		option    *migrator.OptionError
		lostConn  *migrator.ConnectionLostError
		pqErr     *pq.Error
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &usage), errors.As(err, &target), errors.As(err, &option):
		return exitUsage
	case errors.As(err, &folder), errors.As(err, &files):
		return exitInvalidFiles
	case errors.As(err, &integrity):
		return exitIntegrity
	case errors.As(err, &pending):
		return exitPending
	case errors.Is(err, migrator.ErrLockTimeout):
		return exitLockTimeout
	case errors.As(err, &connect), errors.As(err, &lostConn):
		return exitConnect
	case errors.As(err, &mig), errors.As(err, &pqErr):
		return exitSQL
	default:
		return exitFailure
	}
}
