package lint

import "strings"

// Severity says how much a finding matters: an error blocks a deploy
// (lint exits non-zero), a warning needs a reviewer's eye.
type Severity string

// The severities, from the worst.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Lock is a PostgreSQL table lock mode, as pg_locks names it without the
// "Lock" suffix and as LOCK TABLE spells it: "ACCESS EXCLUSIVE".
type Lock int

// The table lock modes, weakest first (the numbering of lockdefs.h).
const (
	NoLock Lock = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var lockNames = [...]string{"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
	"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}

// String returns the mode as LOCK TABLE spells it, "" for NoLock.
func (l Lock) String() string {
	if l < 0 || int(l) >= len(lockNames) {
		return ""
	}
	return lockNames[l]
}

// pgLockNames are the modes as pg_locks.mode names them, same order.
var pgLockNames = [...]string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
	"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

// ParseLock reads a mode as pg_locks names it ("AccessExclusiveLock") or
// as LOCK TABLE spells it ("ACCESS EXCLUSIVE", any case).
func ParseLock(s string) (Lock, bool) {
	for i := 1; i < len(lockNames); i++ {
		if s == pgLockNames[i] || strings.EqualFold(s, lockNames[i]) {
			return Lock(i), true
		}
	}
	return NoLock, false
}

// Blocks returns what a lock of this mode on a table stops other sessions
// from doing while it is held: "reads" (SELECT), "writes" (INSERT,
// UPDATE, DELETE) and "ddl" (other schema changes, VACUUM, ANALYZE and
// index builds). A ROW EXCLUSIVE lock held by an UPDATE or DELETE also
// locks the rows it changed; the finding says so.
func (l Lock) Blocks() []string {
	switch {
	case l == AccessExclusive:
		return []string{"reads", "writes", "ddl"}
	case l >= Share:
		return []string{"writes", "ddl"}
	case l >= RowExclusive:
		return []string{"ddl"}
	default:
		return nil
	}
}

// Finding is one hazard of one statement.
type Finding struct {
	File string // base name of the migration file
	// Statement is the 1-based index of the statement in the file (as
	// pgmig's splitter cuts it), 0 for a finding about the file.
	Statement int
	Line      int      // 1-based line of the statement (or of the clause at fault)
	Column    int      // 1-based column, in characters
	Rule      string   // rule id, see [Rules]
	Severity  Severity // the rule's severity
	Message   string   // what the statement does to which relation, in words
	Relation  string   // the relation as the migration names it, schema-qualified where it is
	Lock      Lock     // the table lock the statement takes on Relation
	Blocks    []string // what that lock blocks: reads, writes, ddl
	Rewrite   bool     // the statement rewrites the whole relation
	Scan      bool     // the statement reads the whole relation under its lock
	Fix       string   // the safe alternative, as SQL, "" when there is none to write
	// Source is the line of the file that Line points to, without its
	// line break, for a caret under Column.
	Source string
	// SizeBytes and Rows are the relation's size on disk (indexes and
	// TOAST included) and the planner's estimate of its rows on the
	// target database, when [Sizes] read them; Rows is -1 when the table
	// was never analyzed, SizeBytes -1 when nothing was read.
	SizeBytes int64
	Rows      float64
	// Measured is true when the lock, rewrite and scan were measured by
	// running the migration in a dev database rather than read from the
	// statement.
	Measured bool
}
