package migrator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Rename is one file renamed by [PlanRenumber]: same name part, separator
// and digit width, a new id.
type Rename struct {
	From, To   string // base names of the file before and after
	FromID, ID int    // its id before and after
	// Name is the value of the tracking table's name column after the
	// rename: the name part, unchanged, or for a file without one
	// ("0012.sql") the whole new file name.
	Name string
}

// ParseFileName returns the id and the value of the tracking table's name
// column that a migration file name stands for ("0012_add-tags.sql": 12 and
// "add-tags"), or an error saying why the name is not one of a migration.
func ParseFileName(file string) (id int, name string, err error) {
	pn, err := parseFileName(file)
	return pn.ID, pn.Name, err
}

// PlanRenumber plans the renames that put the migration files of a merged
// folder back in order. files are the names in the folder (names that do not
// end in .sql are ignored); moves reports whether a file must go to the end
// (the files a branch added, or those that collide with an applied one).
//
// The files that stay must be numbered 1..N on their own. The files that
// move keep their order (by id, then name) and take the ids N+1, N+2, ...;
// each keeps its name part, its separator and its zero padding, widened when
// the new id needs more digits (0099 becomes 0100, 99 becomes 100). A file
// whose id does not change is not renamed. The result is in the order of
// the new ids; it is empty when nothing needs renaming. PlanRenumber reads
// no file: it looks at names only.
//
// It returns a *FileError, and no renames, when renumbering cannot give a
// valid folder: a name that is not a migration's, files that stay and are
// not numbered 1..N (a gap or a duplicate id not caused by the files that
// move), or a name part used twice.
func PlanRenumber(files []string, moves func(file string) bool) ([]Rename, error) {
	var (
		stay, move []Migration
		problems   []FileProblem
	)
	for _, f := range files {
		if strings.HasPrefix(f, ".") || !isMigrationFile(f) {
			continue
		}
		pn, err := parseFileName(f)
		if err != nil {
			problems = append(problems, FileProblem{File: f, Problem: err.Error()})
			continue
		}
		m := Migration{ID: pn.ID, Name: pn.Name, File: f}
		if moves(f) {
			move = append(move, m)
		} else {
			stay = append(stay, m)
		}
	}
	// The files that stay are checked alone: what is wrong with them is
	// not the merge's doing, and renumbering the others does not fix it.
	// Names are checked over all files, since renumbering keeps them.
	numbered := make([]numberedFile, 0, len(stay))
	for _, m := range stay {
		numbered = append(numbered, numberedFile{ID: m.ID, Name: m.Name, File: m.File})
	}
	problems = append(problems, checkNumbering(numbered)...) // sorts numbered by id
	byName := map[string]string{}
	for _, m := range numbered {
		byName[m.Name] = m.File
	}
	byID := func(a, b Migration) int {
		if a.ID != b.ID {
			return a.ID - b.ID
		}
		return strings.Compare(a.File, b.File)
	}
	slices.SortFunc(move, byID)
	for _, m := range move {
		if other, dup := byName[m.Name]; dup {
			problems = append(problems, FileProblem{File: m.File, Problem: fmt.Sprintf("name %q is also used by %s; names must be unique", m.Name, other)})
		} else {
			byName[m.Name] = m.File
		}
	}
	next := len(stay) + 1 // stay is 1..len(stay) once checkNumbering found nothing
	if len(move) > 0 && next+len(move)-1 > maxID {
		problems = append(problems, FileProblem{File: move[len(move)-1].File, Problem: fmt.Sprintf("id %d would be too large (at most %d)", next+len(move)-1, maxID)})
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b FileProblem) int { return strings.Compare(a.File, b.File) })
		return nil, &FileError{Problems: problems}
	}
	var renames []Rename
	for i, m := range move {
		id := next + i
		if id == m.ID {
			continue
		}
		digits := leadingDigits(m.File)
		width := 0 // an id without leading zeros stays without
		if digits > len(strconv.Itoa(m.ID)) {
			width = digits
		}
		to := fmt.Sprintf("%0*d%s", width, id, m.File[digits:])
		pn, err := parseFileName(to)
		if err != nil { // cannot happen: same name part, a valid id
			return nil, fmt.Errorf("renumbering %s: %s: %w", m.File, to, err)
		}
		renames = append(renames, Rename{From: m.File, To: to, FromID: m.ID, ID: id, Name: pn.Name})
	}
	return renames, nil
}
