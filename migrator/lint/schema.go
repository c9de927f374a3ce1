package lint

import (
	"slices"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// relation is what lint knows of a table, view, index or sequence from
// the migrations it read.
type relation struct {
	name    relName
	isNew   bool // created by an earlier statement of the same run
	kind    string
	table   relName            // for an index: its table
	columns map[string]colType // known column types, by name
	// notNullChecks are the columns that a valid CHECK (col IS NOT NULL)
	// covers; checks maps each CHECK constraint's name to its column, for
	// VALIDATE CONSTRAINT.
	notNullChecks map[string]bool
	checks        map[string]string
	dropped       bool // no longer in the schema
	partitioned   bool // a partitioned table (PARTITION BY)
	// in is the schema the relation lives in: the one its name gives,
	// else the first of the search path when it was created; "" when
	// lint cannot tell (a relation it never saw created).
	in string
}

// relName is a relation's name as a migration wrote it: schema empty when
// the statement left it to the search path.
type relName struct{ schema, name string }

// String returns the name as written, schema-qualified where it was.
func (n relName) String() string {
	if n.schema == "" {
		return quoteIdent(n.name)
	}
	return quoteIdent(n.schema) + "." + quoteIdent(n.name)
}

// matches reports whether two names may denote the same relation: same
// name, and same schema where both name one.
func (n relName) matches(o relName) bool {
	return n.name == o.name && (n.schema == "" || o.schema == "" || n.schema == o.schema)
}

func nameOf(rv *pg.RangeVar) relName {
	if rv == nil {
		return relName{}
	}
	return relName{schema: rv.Schemaname, name: rv.Relname}
}

// schema is what lint knows of the database the migrations build.
type schema struct {
	byName map[string][]*relation // relations by name, in the order they were recorded
	all    []*relation
	// path is the search path of the file being read, nil for
	// PostgreSQL's default ("$user", public).
	path []string
}

// searchPath returns the schemas an unqualified name is looked up in.
func (s *schema) searchPath() []string {
	if s.path == nil {
		return []string{"public"}
	}
	return s.path
}

// find returns the relation known by the name, or nil: for an
// unqualified name, the one of the first schema of the search path that
// has one, as PostgreSQL resolves it.
func (s *schema) find(n relName) *relation {
	rels := s.byName[n.name]
	in := []string{n.schema}
	if n.schema == "" {
		in = s.searchPath()
	}
	for _, sch := range in {
		for i := len(rels) - 1; i >= 0; i-- {
			if rels[i].in == sch {
				return rels[i]
			}
		}
	}
	// Not on the path: a relation lint cannot place, or, while the file
	// left the search path to the server (which may set another one for
	// the role or database), one of the same name in any schema.
	guess := n.schema == "" && s.path == nil
	for i := len(rels) - 1; i >= 0; i-- {
		if rels[i].in == "" && rels[i].name.matches(n) || guess {
			return rels[i]
		}
	}
	return nil
}

// isNew reports whether the relation was created earlier in the run.
func (s *schema) isNew(n relName) bool {
	r := s.find(n)
	return r != nil && r.isNew
}

// add records a relation created by the statement, replacing one of the
// same name.
func (s *schema) add(r *relation) *relation {
	s.drop(r.name)
	r.in = r.name.schema
	if p := s.searchPath(); r.in == "" && len(p) > 0 {
		r.in = p[0]
	}
	if r.columns == nil {
		r.columns = map[string]colType{}
	}
	r.notNullChecks, r.checks = map[string]bool{}, map[string]string{}
	if s.byName == nil {
		s.byName = map[string][]*relation{}
	}
	s.byName[r.name.name] = append(s.byName[r.name.name], r)
	s.all = append(s.all, r)
	return r
}

// drop forgets a relation.
func (s *schema) drop(n relName) {
	if r := s.find(n); r != nil {
		s.remove(r)
	}
}

// remove takes r out of the names.
func (s *schema) remove(r *relation) {
	rels := s.byName[r.name.name]
	if i := slices.Index(rels, r); i >= 0 {
		s.byName[r.name.name] = append(rels[:i:i], rels[i+1:]...)
	}
	r.dropped = true
}

// rename gives a relation a new name.
func (s *schema) rename(r *relation, name string) {
	s.remove(r)
	r.dropped = false
	r.name.name = name
	s.byName[name] = append(s.byName[name], r)
}

// known returns the relation with the name, recording it as pre-existing
// when lint has not seen it created.
func (s *schema) known(n relName) *relation {
	if r := s.find(n); r != nil {
		return r
	}
	r := s.add(&relation{name: n, kind: "table"})
	r.in = n.schema // where an unqualified one lives, lint cannot tell
	return r
}

// endRun marks every relation as pre-existing: the next run finds them
// committed, and others may be using them.
func (s *schema) endRun() {
	live := s.all[:0]
	for _, r := range s.all {
		if !r.dropped {
			r.isNew = false
			live = append(live, r)
		}
	}
	s.all = live
}
