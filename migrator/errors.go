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
	// RunRule marks a rule about how the file would run (transaction
	// control, headers, psql meta-commands): it stops a file still to run,
	// but a file already applied with this content is accepted as it is.
	RunRule bool
}

// FileError reports every problem found in the migration files. [New] and
// [Validate] return it before any database work; Apply, Status, Verify and
// Plan return it for files still to run that break a rule about how they
// would run.
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

// FoundTable is a table with the layout of a tracking table, found in
// another schema than the one pgmig looked in.
type FoundTable struct {
	Table     string // schema-qualified, as schema.table
	Readable  bool   // this role may read it; Rows and HighestID are 0 when not
	Rows      int64  // rows, row 0 included
	HighestID int64
}

func (f FoundTable) String() string {
	if !f.Readable {
		return f.Table + " (not readable by this role)"
	}
	return fmt.Sprintf("%s (%d rows, highest id %d)", f.Table, f.Rows, f.HighestID)
}

// TableElsewhereError reports that the tracking table is not where pgmig
// looked (through the search_path, or in the schema given), while tables
// with its layout exist in other schemas: the session's search path or the
// table setting is wrong. Nothing was created or applied; treating the
// database as new would apply every migration a second time.
type TableElsewhereError struct {
	Table      string       // the table pgmig looked for, as given
	SearchPath string       // the schemas of the session's search path, when Table has no schema
	Found      []FoundTable // in schema order
}

func (e *TableElsewhereError) Error() string {
	var b strings.Builder
	where := "in the search path (" + e.SearchPath + ")"
	if e.SearchPath == "" {
		where = "in the search path, which names no existing schema"
	}
	if strings.Contains(e.Table, ".") {
		where = "there"
	}
	fmt.Fprintf(&b, "tracking table %s not found %s, but ", e.Table, where)
	if len(e.Found) == 1 {
		b.WriteString("a table with the layout of a migrations table exists in another schema:")
	} else {
		fmt.Fprintf(&b, "%d tables with the layout of a migrations table exist in other schemas:", len(e.Found))
	}
	for _, f := range e.Found {
		b.WriteString("\n  " + f.String())
	}
	b.WriteString("\nnothing was created or applied: on a database migrated before, starting over would run every migration again")
	return b.String()
}

// ReadOnlyError reports a server that does not take writes: a hot standby,
// or a session that is read-only by default. Apply and CreateDatabase
// return it before they change anything, even when nothing is pending.
type ReadOnlyError struct {
	Standby bool   // the server is a hot standby (in recovery)
	Source  string // else where default_transaction_read_only = on comes from (pg_settings.source), if known
}

func (e *ReadOnlyError) Error() string {
	if e.Standby {
		return "the server is a read-only hot standby (a replica in recovery); migrations can only run on the primary"
	}
	msg := "the session is read-only: default_transaction_read_only is on"
	if e.Source != "" {
		msg += ", " + describeSource(e.Source)
	}
	return msg
}

// PoolerError reports a connection that does not own its server session:
// behind a pooler in transaction or statement mode (PgBouncer's
// pool_mode = transaction), consecutive transactions of one client run on
// different server processes, so a session advisory lock neither keeps other
// runs out nor can be released reliably. Apply returns it before it runs
// anything.
type PoolerError struct {
	PID      int    // the server process that holds, or held, the migration lock
	Reason   string // what pgmig observed
	Stranded bool   // the release of the lock reached another server process: PID still holds it
}

func (e *PoolerError) Error() string {
	msg := fmt.Sprintf("the connection does not keep one server session: %s; "+
		"this happens behind a connection pooler in transaction or statement mode, where the migration lock cannot protect a run", e.Reason)
	if e.Stranded {
		msg += fmt.Sprintf("; the migration lock could not be released and stays held by server process %d until its session ends "+
			"(SELECT pg_terminate_backend(%d) on the server ends it)", e.PID, e.PID)
	}
	return msg
}

// describeSource turns a pg_settings.source value into words.
func describeSource(source string) string {
	switch source {
	case "user":
		return "set for the role (ALTER ROLE ... SET)"
	case "database":
		return "set for the database (ALTER DATABASE ... SET)"
	case "database user":
		return "set for the role in this database (ALTER ROLE ... IN DATABASE ... SET)"
	case "configuration file":
		return "set in the server's configuration file"
	case "client":
		return "set by the client at connect time (PGOPTIONS or the connection's options)"
	case "session":
		return "set in the session"
	case "command line", "environment variable", "global":
		return "set when the server started (" + source + ")"
	case "default", "override":
		return "the server's default"
	}
	return "from " + source
}
