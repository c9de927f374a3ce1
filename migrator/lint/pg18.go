package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// The parser is PostgreSQL 17's. A statement it rejects may be written in
// PostgreSQL 18 syntax: rewrite18 turns those forms into PostgreSQL 17
// text that means the same to lint, parses that, and remembers what was
// rewritten. Every rewrite but one keeps the length of the text, so every
// position of the parse tree is a position of the statement as written;
// the one that must insert text (GENERATED ALWAYS AS (...) with neither
// STORED nor VIRTUAL) records the insertion, and stmt.offset maps back.

// pg18 is what rewrite18 found in one statement.
type pg18 struct {
	// forms are the PostgreSQL 18 forms found, for the message when the
	// server is older.
	forms []string
	// inserted are the insertions into the text the parser read: at
	// offset at (of that text), n bytes that the statement does not hold.
	inserted []insertion
	// virtualAt, notEnforcedAt and notNullAt are the offsets in the text
	// of VIRTUAL (or where STORED is missing), NOT ENFORCED, and the
	// column of NOT NULL col.
	virtualAt, notEnforcedAt, notNullAt []int
	// virtual, notEnforced and notNull are the constraints of the parse
	// tree written VIRTUAL (or with no STORED), NOT ENFORCED, and NOT NULL
	// col (a table constraint, parsed as CHECK (col)).
	virtual, notEnforced, notNull map[*pg.Constraint]bool
}

type insertion struct{ at, n int }

var (
	// virtualRE finds the VIRTUAL keyword after a generation expression.
	virtualRE = regexp.MustCompile(`(?i)\)\s*(virtual)\b`)
	// enforcedRE finds [NOT] ENFORCED.
	enforcedRE = regexp.MustCompile(`(?i)\b(not\s+)?enforced\b`)
	// notNullRE finds the table constraint NOT NULL col, after ADD,
	// CONSTRAINT name, or the ( or , of a table's element list.
	notNullRE = regexp.MustCompile(`(?i)(?:\badd|\bconstraint\s+(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)|[(,])\s+(not\s+null)\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`)
	// generatedRE finds the start of a generation expression.
	generatedRE = regexp.MustCompile(`(?i)\bgenerated\s+always\s+as\s*\(`)
)

// notNullFollowers are the words that may follow NOT NULL in a column
// constraint: after them NOT NULL is not the table constraint.
var notNullFollowers = map[string]bool{"default": true, "not": true, "null": true, "check": true, "references": true,
	"primary": true, "unique": true, "generated": true, "collate": true, "deferrable": true, "initially": true,
	"no": true, "constraint": true, "enforced": true, "valid": true}

// rewrite18 returns the parse of text with its PostgreSQL 18 forms
// replaced, and what it replaced; nil when nothing was replaced or the
// rewritten text does not parse either.
func rewrite18(text string) (*pg.ParseResult, *pg18) {
	res, p, err := rewrite18As(text, false)
	if err != nil && p != nil && len(p.notEnforcedAt) > 0 {
		// NOT ENFORCED of a column constraint: the parser takes no NOT
		// VALID there, so read it as blanks.
		res, p, err = rewrite18As(text, true)
	}
	if err != nil || p == nil || len(res.Stmts) == 0 {
		return nil, nil
	}
	cons := constraintsOf(res.Stmts[0].Stmt)
	p.virtual = p.owners(cons, p.virtualAt, pg.ConstrType_CONSTR_GENERATED)
	p.notEnforced = p.owners(cons, p.notEnforcedAt, -1)
	p.notNull = map[*pg.Constraint]bool{}
	for _, c := range cons {
		ref := c.RawExpr.GetColumnRef()
		if c.Contype == pg.ConstrType_CONSTR_CHECK && ref != nil && slices.Contains(p.notNullAt, p.original(int(ref.Location))) {
			p.notNull[c] = true
			c.RawExpr = &pg.Node{Node: &pg.Node_NullTest{NullTest: &pg.NullTest{Arg: c.RawExpr, Nulltesttype: pg.NullTestType_IS_NOT_NULL, Location: -1}}}
		}
	}
	return res, p
}

// rewrite18As rewrites and parses text; NOT ENFORCED becomes NOT VALID,
// or blanks when blank is set. Offsets it records are of text.
func rewrite18As(text string, blank bool) (*pg.ParseResult, *pg18, error) {
	b := []byte(text)
	p := &pg18{}
	for _, l := range virtualRE.FindAllStringSubmatchIndex(text, -1) {
		copy(b[l[2]:l[3]], "STORED ")
		p.virtualAt = append(p.virtualAt, l[2])
		p.forms = appendForm(p.forms, "VIRTUAL generated columns")
	}
	for _, l := range enforcedRE.FindAllStringSubmatchIndex(text, -1) {
		with := strings.Repeat(" ", l[1]-l[0]) // ENFORCED is the default
		if l[2] >= 0 {
			p.notEnforcedAt = append(p.notEnforcedAt, l[0])
			p.forms = appendForm(p.forms, "NOT ENFORCED constraints")
			if !blank {
				with = "NOT VALID" + with[len("NOT VALID"):]
			}
		} else {
			p.forms = appendForm(p.forms, "ENFORCED constraints")
		}
		copy(b[l[0]:l[1]], with)
	}
	for _, l := range notNullRE.FindAllStringSubmatchIndex(text, -1) {
		col := text[l[4]:l[5]]
		if notNullFollowers[strings.ToLower(col)] {
			continue
		}
		// NOT NULL col -> CHECK  (col): the same length (the blanks take
		// up the rest, at least two); col moves one byte left.
		pad := strings.Repeat(" ", l[5]-l[2]-len("CHECK()")-len(col))
		copy(b[l[2]:l[5]], "CHECK"+pad+"("+col+")")
		p.notNullAt = append(p.notNullAt, l[5]-len(col)-1)
		p.forms = appendForm(p.forms, "NOT NULL table constraints")
	}
	// GENERATED ALWAYS AS (...) with neither STORED nor VIRTUAL, virtual
	// on 18: insert STORED, last first so the earlier offsets hold.
	gens := generatedRE.FindAllIndex(b, -1)
	for i := len(gens) - 1; i >= 0; i-- {
		end := closingParen(b, gens[i][1]-1)
		if end < 0 {
			continue
		}
		if next := strings.ToLower(strings.TrimLeft(string(b[end+1:]), " \t\r\n")); strings.HasPrefix(next, "stored") {
			continue
		}
		b = slices.Insert(b, end+1, []byte(" STORED")...)
		p.inserted = append(p.inserted, insertion{at: end + 1, n: len(" STORED")})
		p.virtualAt = append(p.virtualAt, end+1)
		p.forms = appendForm(p.forms, "generated columns without STORED")
	}
	if len(p.forms) == 0 {
		return nil, nil, nil
	}
	slices.SortFunc(p.inserted, func(a, b insertion) int { return a.at - b.at })
	res, err := pg.Parse(string(b))
	return res, p, err
}

// original turns an offset of the rewritten text into one of the text
// as written.
func (p *pg18) original(l int) int {
	cum := 0
	for _, in := range p.inserted {
		at := in.at + cum // where the insertion is in the rewritten text
		if l < at {
			break
		}
		if l < at+in.n {
			return in.at
		}
		cum += in.n
	}
	return l - cum
}

func appendForm(forms []string, f string) []string {
	if slices.Contains(forms, f) {
		return forms
	}
	return append(forms, f)
}

// closingParen returns the offset of the ) that closes the ( at open,
// skipping quoted text; -1 when there is none.
func closingParen(b []byte, open int) int {
	depth := 0
	for i := open; i < len(b); i++ {
		switch b[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case '\'', '"':
			j := i + 1
			for j < len(b) && b[j] != b[i] {
				j++
			}
			i = j
		}
	}
	return -1
}

// constraintsOf returns the constraints of CREATE TABLE and ALTER TABLE,
// in the order of their locations.
func constraintsOf(n *pg.Node) []*pg.Constraint {
	var out []*pg.Constraint
	column := func(cd *pg.ColumnDef) {
		for _, c := range cd.GetConstraints() {
			if c := c.GetConstraint(); c != nil {
				out = append(out, c)
			}
		}
	}
	if ct := n.GetCreateStmt(); ct != nil {
		for _, e := range ct.TableElts {
			column(e.GetColumnDef())
			if c := e.GetConstraint(); c != nil {
				out = append(out, c)
			}
		}
	}
	for _, cn := range n.GetAlterTableStmt().GetCmds() {
		d := cn.GetAlterTableCmd().GetDef()
		column(d.GetColumnDef())
		if c := d.GetConstraint(); c != nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *pg.Constraint) int { return int(a.Location - b.Location) })
	return out
}

// owners returns the constraints (of type typ, any when typ < 0) that
// hold the offsets: for each offset, the last constraint that starts
// before it.
func (p *pg18) owners(cons []*pg.Constraint, offsets []int, typ pg.ConstrType) map[*pg.Constraint]bool {
	out := map[*pg.Constraint]bool{}
	for _, o := range offsets {
		var owner *pg.Constraint
		for _, c := range cons {
			if p.original(int(c.Location)) < o && (typ < 0 || c.Contype == typ) {
				owner = c
			}
		}
		if owner != nil {
			out[owner] = true
		}
	}
	return out
}

// offset turns a location of the parse tree into an offset in the
// statement's text.
func (st *stmt) offset(loc int32) int {
	l := int(loc)
	if st.pg18 != nil && l >= 0 {
		l = st.pg18.original(l)
	}
	return l + st.shift
}

// isNotNull reports whether c is the table constraint NOT NULL col
// (PostgreSQL 18), which the parse tree holds as CHECK (col IS NOT NULL).
func (st *stmt) isNotNull(c *pg.Constraint) bool {
	return st.pg18 != nil && st.pg18.notNull[c]
}

// notEnforced reports whether c was written NOT ENFORCED (PostgreSQL 18):
// it is never checked, so it takes no scan.
func (st *stmt) notEnforced(c *pg.Constraint) bool {
	return st.pg18 != nil && st.pg18.notEnforced[c]
}

// olderServer reports a statement in PostgreSQL 18 syntax when the
// server is older: it fails there, so no other rule looks at it.
func (f *fileLinter) olderServer(st *stmt) bool {
	if st.pg18 == nil || f.o.version >= 18 {
		return false
	}
	f.add(st, -1, RuleNewerSyntax, relName{}, NoLock, false, false,
		fmt.Sprintf("PostgreSQL %d rejects this statement: %s are PostgreSQL 18 syntax, so the migration fails on this server", f.o.version, strings.Join(st.pg18.forms, ", ")), "")
	return true
}
