package sqlscan

import "fmt"

// ScanError reports an unterminated quoted string, quoted identifier,
// dollar-quoted string or block comment.
type ScanError struct {
	Line   int    // 1-based line where the unterminated construct started
	Column int    // 1-based column, in runes, where it started
	Offset int    // byte offset in the source where it started
	What   string // e.g. "unterminated quoted string"
}

// Error formats the error as "line L, column C: what".
func (e *ScanError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.What)
}
