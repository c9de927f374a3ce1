package migrator

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrLockTimeout is returned (wrapped in a *LockTimeoutError) when the
// migration lock could not be taken within the configured wait.
var ErrLockTimeout = errors.New("timed out waiting for the migration lock")

// FileProblem is one thing wrong with one migration file.
type FileProblem struct {
	File    string // base name of the file
	Problem string // what is wrong, in words
}

// FileError reports every problem found in the migration files. It is
// returned by [New] before any database work.
type FileError struct {
	Problems []FileProblem
}

func (e *FileError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid migration file: ")
		b.WriteString(e.Problems[0].File + ": " + e.Problems[0].Problem)
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems in migration files:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.File + ": " + p.Problem)
	}
	return b.String()
}

// HashMismatch describes one applied migration whose file has changed.
type HashMismatch struct {
	ID          int
	File        string
	StoredHash  string
	CurrentHash string
	Reason      string // for example "differs only in line endings (CRLF/LF)"
}

// MissingFile describes one applied migration whose file is gone.
type MissingFile struct {
	ID         int
	Name       string
	StoredHash string
	AppliedAt  time.Time
}

// IntegrityError reports applied migrations whose files changed or
// disappeared. Nothing is applied when it is returned.
type IntegrityError struct {
	Changed []HashMismatch
	Missing []MissingFile
}

func (e *IntegrityError) Error() string {
	var b strings.Builder
	n := len(e.Changed) + len(e.Missing)
	if n == 1 {
		b.WriteString("integrity check failed: 1 applied migration no longer matches its file")
	} else {
		fmt.Fprintf(&b, "integrity check failed: %d applied migrations no longer match their files", n)
	}
	for _, c := range e.Changed {
		fmt.Fprintf(&b, "\n  %s (id %d): changed since it was applied: %s; stored hash %s, file hash %s",
			c.File, c.ID, c.Reason, c.StoredHash, c.CurrentHash)
	}
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "\n  id %d (%s): applied", m.ID, m.Name)
		if !m.AppliedAt.IsZero() {
			fmt.Fprintf(&b, " at %s", m.AppliedAt.Format("2006-01-02 15:04:05"))
		}
		b.WriteString(" but its file is missing from the folder")
	}
	if len(e.Changed) > 0 {
		b.WriteString("\nmigrations are never edited once applied: restore the file and add a new migration for the change" +
			" (or mark a file that may change with a '-- pgmig disable-hash-check' line)")
	}
	return b.String()
}

// LockTimeoutError is returned when the lock wait runs out. It matches
// [ErrLockTimeout] with errors.Is.
type LockTimeoutError struct {
	Waited  time.Duration
	Holders []LockHolder
}

func (e *LockTimeoutError) Error() string {
	msg := fmt.Sprintf("%v after %s", ErrLockTimeout, e.Waited.Round(time.Millisecond))
	for _, h := range e.Holders {
		msg += "; held by " + h.String()
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrLockTimeout) true.
func (e *LockTimeoutError) Unwrap() error { return ErrLockTimeout }

// OptionError reports an invalid [Option] given to [New].
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }

// Unwrap returns the option's own error.
func (e *OptionError) Unwrap() error { return e.Err }

// ConnectError wraps a failure to open or use the database connection
// before any migration work started.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return "cannot connect to the database: " + e.Err.Error() }

// Unwrap returns the underlying driver error.
func (e *ConnectError) Unwrap() error { return e.Err }

// TableError reports a tracking table that exists but cannot be used.
type TableError struct {
	Table   string
	Problem string
}

func (e *TableError) Error() string {
	return fmt.Sprintf("tracking table %s: %s", e.Table, e.Problem)
}
