package migrator

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
)

// newMigrationError builds a MigrationError from the driver error of query,
// whose byte 0 is at byte offset base of body (negative when query starts
// with text pgmig added).
func newMigrationError(mig Migration, body, query string, base, stmt, stmts int, err error) *MigrationError {
	e := &MigrationError{Migration: mig, Err: err, Statement: stmt, Statements: stmts, SQLState: sqlState(err)}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return e // another driver: SQLSTATE only
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

// sqlState returns the SQLSTATE of a server error in err's chain, or "".
// Any driver whose errors have a SQLState method (lib/pq, pgx) will do.
func sqlState(err error) string {
	var s interface{ SQLState() string }
	if errors.As(err, &s) {
		return s.SQLState()
	}
	return ""
}
