package migrator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
)

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

	Statement  int  // 1-based statement of a disable-transaction file, 0 otherwise
	Statements int  // statements in that file
	Recording  bool // all statements ran; recording the row failed
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
	switch {
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

// newMigrationError builds a MigrationError from the driver error of query,
// whose byte 0 is at byte offset base of body (negative when query starts
// with text pgmig added).
func newMigrationError(mig Migration, body, query string, base, stmt, stmts int, err error) *MigrationError {
	e := &MigrationError{Migration: mig, Err: err, Statement: stmt, Statements: stmts}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return e
	}
	e.SQLState, e.Message, e.Detail, e.Hint, e.Where = string(pqErr.Code), pqErr.Message, pqErr.Detail, pqErr.Hint, pqErr.Where
	pos, perr := strconv.Atoi(pqErr.Position)
	if perr != nil || pos < 1 {
		return e
	}
	off := runeOffset(query, pos-1)
	if off < 0 {
		return e
	}
	if bodyOff := base + off; bodyOff >= 0 && bodyOff <= len(body) {
		e.Line, e.Column = sqlscan.LineCol(body, bodyOff)
		e.LineText = lineAt(body, e.Line)
	}
	return e
}

// runeOffset returns the byte offset of the n-th rune (0-based) of s, or -1.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	if n == 0 {
		return len(s)
	}
	return -1
}

// lineAt returns line n (1-based) of s without its line break.
func lineAt(s string, n int) string {
	for line := range strings.Lines(s) {
		n--
		if n == 0 {
			line = strings.TrimRight(line, "\r\n")
			if !utf8.ValidString(line) {
				return ""
			}
			return line
		}
	}
	return ""
}
