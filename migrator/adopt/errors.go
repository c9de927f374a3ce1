package adopt

import (
	"fmt"
	"strings"
)

// ProblemKind says what is wrong with one part of another tool's history.
type ProblemKind string

// The problems that make [Plan] and [Adopt] refuse.
const (
	// ProblemDirty: golang-migrate's last run of the version failed
	// half-way (dirty = true); its changes may be partly in the database.
	ProblemDirty ProblemKind = "dirty"
	// ProblemFailed: a Flyway row with success = false, a migration that
	// failed (on a database without transactional DDL, or left so).
	ProblemFailed ProblemKind = "failed"
	// ProblemRolledBack: goose's newest row for the version has
	// is_applied = false: it was rolled back.
	ProblemRolledBack ProblemKind = "rolled-back"
	// ProblemUndone: Flyway's newest row for the version undoes it or
	// marks it deleted (undo migrations, repair of a missing file).
	ProblemUndone ProblemKind = "undone"
	// ProblemNoFile: the version is applied, and no migration file stands
	// for it (no file with that id, or no line of the version map).
	ProblemNoFile ProblemKind = "no-file"
	// ProblemGap: a file is not applied while a file above it is; pgmig
	// applies in strict order and would never run it.
	ProblemGap ProblemKind = "gap"
	// ProblemMalformed: the table holds what the tool never writes (for
	// example two rows where golang-migrate keeps one).
	ProblemMalformed ProblemKind = "malformed"
)

// Problem is one thing that keeps another tool's history from being
// adopted.
type Problem struct {
	Kind    ProblemKind
	Version string // the other tool's version, "" when the problem concerns a file alone
	File    string // the migration file concerned, "" when there is none
	Detail  string // what is wrong, in words
}

func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Version != "" && p.File != "":
		fmt.Fprintf(&b, "version %s (%s)", p.Version, p.File)
	case p.Version != "":
		b.WriteString("version " + p.Version)
	case p.File != "":
		b.WriteString(p.File)
	default:
		b.WriteString("table")
	}
	b.WriteString(": " + p.Detail)
	return b.String()
}

// UncleanError reports every problem found in another tool's history:
// its state is not one that pgmig can continue from. Nothing was written.
type UncleanError struct {
	Tool     Tool
	Table    string // the other tool's table, schema-qualified
	Problems []Problem
}

func (e *UncleanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s history in %s cannot be adopted (%d problem", e.Tool, e.Table, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("); nothing was written:")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Has reports whether one of the problems is of kind k.
func (e *UncleanError) Has(k ProblemKind) bool {
	for _, p := range e.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// TableNotFoundError reports that the other tool's history table does not
// exist where it was looked for.
type TableNotFoundError struct {
	Tool       Tool
	Table      string // as given, or the tool's default name
	SearchPath string // the session's schemas, when Table has no schema
	// Elsewhere are tables of that name in other schemas, schema-qualified,
	// when Table has no schema.
	Elsewhere []string
}

func (e *TableNotFoundError) Error() string {
	where := "in the search path (" + e.SearchPath + ")"
	if e.SearchPath == "" {
		where = "in the search path, which names no existing schema"
	}
	if strings.Contains(e.Table, ".") {
		where = "there"
	}
	msg := fmt.Sprintf("%s history table %s not found %s", e.Tool, e.Table, where)
	if len(e.Elsewhere) > 0 {
		msg += "; tables of that name exist in other schemas: " + strings.Join(e.Elsewhere, ", ")
	}
	return msg
}

// LayoutError reports a table that exists but does not have the columns
// the tool creates, so it is not (or no longer) that tool's history.
type LayoutError struct {
	Tool    Tool
	Table   string
	Problem string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("table %s is not a %s history table: %s", e.Table, e.Tool, e.Problem)
}

// MapProblem is one thing wrong with one line of a version map.
type MapProblem struct {
	Line    int // 1-based; 0 for the map as a whole
	Problem string
}

// MapError reports every problem of a version map: its syntax
// ([ParseMap]) and the files it names ([Plan], [Adopt]).
type MapError struct {
	Name     string // the map's file name, for messages
	Problems []MapProblem
}

func (e *MapError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid version map " + e.Name + ": ")
	} else {
		fmt.Fprintf(&b, "%d problems in version map %s:\n  ", len(e.Problems), e.Name)
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n  ")
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", p.Line)
		}
		b.WriteString(p.Problem)
	}
	return b.String()
}
