package adopt

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgmig/pgmig/migrator"
)

// Map says which migration file stands for each version of the other
// tool, when the numbering differs (timestamps in goose or dbmate, dotted
// versions in Flyway). Read it with [ParseMap].
//
// The format: one line per version, the version and then the file, as its
// name in the folder or as its id, separated by spaces or tabs. '#'
// starts a comment; blank lines are ignored.
//
//	# goose version   pgmig file
//	20230114093000    0001_create-users.sql
//	20230201120000    2
//
// With a map, versions are matched through it alone: a file that no line
// names has no version in the other tool (it is not applied there).
type Map struct {
	name    string
	entries []mapEntry
}

type mapEntry struct {
	line    int
	version string
	target  string // file name or id, as written
}

// ParseMap reads a version map; name is used in messages. It returns a
// *MapError listing every line that is not "VERSION FILE" and every
// version given twice. Whether the files exist is checked against the
// folder by [Plan] and [Adopt].
func ParseMap(name string, data []byte) (*Map, error) {
	m := &Map{name: name}
	e := &MapError{Name: name}
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) != 2:
			e.Problems = append(e.Problems, MapProblem{Line: n, Problem: fmt.Sprintf("expected VERSION FILE (two fields), found %d", len(fields))})
			continue
		}
		key := versionKey(fields[0])
		if first, dup := seen[key]; dup {
			e.Problems = append(e.Problems, MapProblem{Line: n, Problem: fmt.Sprintf("version %s is already mapped on line %d", fields[0], first)})
			continue
		}
		seen[key] = n
		m.entries = append(m.entries, mapEntry{line: n, version: fields[0], target: fields[1]})
	}
	if err := sc.Err(); err != nil {
		e.Problems = append(e.Problems, MapProblem{Problem: err.Error()})
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	return m, nil
}

// resolvedMap is a map checked against the folder: versions by key, and
// each file's version.
type resolvedMap struct {
	byVersion map[string]int // version key -> file id
	ofFile    map[int]string // file id -> version as written
}

// resolve checks that every line names a file of migs, and no file twice.
func (m *Map) resolve(migs []migrator.Migration) (*resolvedMap, error) {
	byFile := map[string]int{}
	ids := map[int]bool{}
	for _, mig := range migs {
		byFile[mig.File] = mig.ID
		ids[mig.ID] = true
	}
	r := &resolvedMap{byVersion: map[string]int{}, ofFile: map[int]string{}}
	e := &MapError{Name: m.name}
	lineOfFile := map[int]int{}
	for _, en := range m.entries {
		id, ok := byFile[en.target]
		if !ok {
			if n, err := strconv.Atoi(en.target); err == nil && isDigits(en.target) {
				id, ok = n, ids[n]
			}
		}
		if !ok {
			e.Problems = append(e.Problems, MapProblem{Line: en.line, Problem: fmt.Sprintf("%s is neither a migration file of the folder nor the id of one", en.target)})
			continue
		}
		if first, dup := lineOfFile[id]; dup {
			e.Problems = append(e.Problems, MapProblem{Line: en.line, Problem: fmt.Sprintf("%s is already mapped on line %d; a file stands for one version", en.target, first)})
			continue
		}
		lineOfFile[id] = en.line
		r.byVersion[versionKey(en.version)], r.ofFile[id] = id, en.version
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	return r, nil
}
