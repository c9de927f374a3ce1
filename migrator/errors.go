package migrator

import (
	"errors"
	"fmt"
	"strconv"
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
// anything; a run that has nothing to write learns it only from its unlock
// and returns it, Stranded, joined to any other error of the run.
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
	case "header":
		return "set by the migration's own header"
	case "run":
		return "set for the migrations of this run"
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

// TargetError reports a target migration that pgmig cannot honour: one
// below an applied migration (pgmig never goes down) or above the last file.
type TargetError struct {
	Target  int
	Applied int // highest applied id, when the target is below it
	Highest int // highest migration file id
}

func (e *TargetError) Error() string {
	if e.Applied > 0 {
		return fmt.Sprintf("target %d is below migration %d, which is already applied: pgmig never goes down; fix a mistake with a new migration", e.Target, e.Applied)
	}
	return fmt.Sprintf("target %d: there is no migration with that id (the highest is %d)", e.Target, e.Highest)
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
	return b.String()
}

// IsPending reports whether err says that migrations are pending.
func IsPending(err error) bool {
	var pe *PendingError
	return errors.As(err, &pe)
}

// ConnectionLostError reports that the connection to the database broke
// during a run: the server restarted or crashed, an administrator ended the
// session, or the network failed. Migrations committed before stay applied;
// a rerun of Apply finishes the job.
type ConnectionLostError struct {
	During    string          // what pgmig was doing
	Migration *Migration      // the migration that was running, if any
	Statement int             // its statement, for disable-transaction files
	Timeout   *TimeoutSetting // the setting that ended the session, when one did
	Err       error
}

// Unwrap returns the driver error.
func (e *ConnectionLostError) Unwrap() error { return e.Err }

func (e *ConnectionLostError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lost the connection to the database while %s: %v", e.During, e.Err)
	if e.Timeout != nil {
		b.WriteString("\nthe server ended the session because of " + e.Timeout.String())
	} else {
		b.WriteString("\nthe server ended the session (restart, crash, pg_terminate_backend) or the network failed")
	}
	if m := e.Migration; m != nil {
		if m.DisableTransaction {
			fmt.Fprintf(&b, "; statement %d of %s may have partly run and was not recorded, statements before it stay committed", e.Statement, m.File)
		} else {
			fmt.Fprintf(&b, "; %s either committed together with its row or was rolled back", m.File)
		}
	}
	b.WriteString("\nmigrations of this run committed before it are kept as a consistent prefix; a new run finishes the job")
	return b.String()
}

// MigrationError reports a migration that failed. Nothing of a
// transactional migration is recorded or kept; migrations before it stay
// applied. For a disable-transaction migration the statements before the
// failing one stay committed and no row is recorded.
type MigrationError struct {
	Migration Migration
	Err       error // the driver error, usually a *pq.Error

	SQLState string // five-character SQLSTATE, "" if unknown
	Message  string
	Detail   string
	Hint     string
	Where    string // PostgreSQL's context, for example the PL/pgSQL line

	Line, Column int    // position in the file (1-based), 0 if unknown
	LineText     string // the file's line at Line

	Timeout *TimeoutSetting // the server setting that cancelled the statement, when one did
	// Attempts lists every attempt when the migration (or, in a
	// disable-transaction file, the statement) ran more than once because
	// of lock timeouts (WithLockRetries), the last one included.
	Attempts []LockAttempt

	Statement  int  // 1-based statement of a disable-transaction file, 0 otherwise
	Statements int  // statements in that file
	Recording  bool // all statements ran; recording the row failed
	// SingleTransaction: the migration ran in one transaction with all
	// pending ones (WithSingleTransaction), so none of them was applied.
	SingleTransaction bool
}

// Unwrap returns the driver error.
func (e *MigrationError) Unwrap() error { return e.Err }

func (e *MigrationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "migration %s (id %d) failed", e.Migration.File, e.Migration.ID)
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d, column %d", e.Line, e.Column)
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(": " + msg)
	if e.SQLState != "" {
		b.WriteString(" (SQLSTATE " + e.SQLState + ")")
	}
	if e.Line > 0 && e.LineText != "" {
		prefix := "LINE " + strconv.Itoa(e.Line) + ": "
		b.WriteString("\n" + prefix + e.LineText + "\n")
		b.WriteString(strings.Repeat(" ", len(prefix)))
		// Keep tabs so the caret lines up under the column as in psql.
		for i, r := range []rune(e.LineText) {
			if i >= e.Column-1 {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString("^")
	}
	if e.Detail != "" {
		b.WriteString("\nDETAIL: " + e.Detail)
	}
	if e.Hint != "" {
		b.WriteString("\nHINT: " + e.Hint)
	}
	if e.Where != "" {
		b.WriteString("\nCONTEXT: " + e.Where)
	}
	if e.Timeout != nil {
		b.WriteString("\nthe statement ran into " + e.Timeout.String())
	}
	if n := len(e.Attempts); n > 0 {
		first, last := e.Attempts[0], e.Attempts[n-1]
		over := last.Began.Add(last.Duration).Sub(first.Began)
		fmt.Fprintf(&b, "\ngave up after %d attempts over %s, each ended by the lock timeout", n, over.Round(time.Millisecond))
		for i, a := range e.Attempts {
			fmt.Fprintf(&b, "\n  attempt %d (%s): ", i+1, a.Duration.Round(time.Millisecond))
			if len(a.Blockers) == 0 {
				b.WriteString("no blocking session seen")
			}
			for j, bl := range a.Blockers {
				if j > 0 {
					b.WriteString("; ")
				}
				b.WriteString("blocked by " + bl.String())
			}
		}
	}
	switch {
	case e.SingleTransaction:
		b.WriteString("\nthe single transaction of all pending migrations was rolled back: none of them was applied")
	case e.Recording:
		fmt.Fprintf(&b, "\nall %d statements of this disable-transaction migration ran and stay committed, but recording it failed;"+
			" a rerun runs the whole file again", e.Statements)
	case e.Statement > 0:
		fmt.Fprintf(&b, "\nstatement %d of %d failed", e.Statement, e.Statements)
		if e.Statement > 1 {
			fmt.Fprintf(&b, "; statements 1 to %d of this disable-transaction migration ran and stay committed", e.Statement-1)
		}
		b.WriteString("; the migration was not recorded, so a rerun runs the whole file again (make its statements idempotent, e.g. IF NOT EXISTS)")
	default:
		b.WriteString("\nthe migration was rolled back and not recorded; no further migrations were run")
	}
	if e.SQLState == "25001" && e.Statement == 0 {
		b.WriteString("\nthis statement cannot run inside a transaction block: add a line '-- pgmig disable-transaction' to the file")
	}
	return b.String()
}

// FolderError reports a migrations folder that cannot be listed (for
// example for lack of permission). [New] and [Validate] return it before
// any database work.
type FolderError struct{ Err error }

func (e *FolderError) Error() string { return "cannot read the migrations folder: " + e.Err.Error() }

// Unwrap returns the file system's error.
func (e *FolderError) Unwrap() error { return e.Err }

// LockAttempt is one run of a migration (or statement) that failed on a
// lock timeout.
type LockAttempt struct {
	Began    time.Time
	Duration time.Duration // how long the attempt ran
	Blockers []Blocker     // who blocked it, as last seen while it waited
}
