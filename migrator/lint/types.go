package lint

import (
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// colType is a column type as a statement wrote it, normalised by the
// parser: "varchar" for character varying, "int4" for integer, and so on.
type colType struct {
	name  string
	mods  []int32 // type modifiers: varchar(20) has [20], numeric(10,2) [10 2]
	array bool
}

func (c colType) known() bool { return c.name != "" }

// typeOf reads a TypeName node.
func typeOf(tn *pg.TypeName) colType {
	if tn == nil || len(tn.Names) == 0 {
		return colType{}
	}
	t := colType{name: strings.ToLower(tn.Names[len(tn.Names)-1].GetString_().GetSval()), array: len(tn.ArrayBounds) > 0}
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil && c.GetIval() != nil {
			t.mods = append(t.mods, c.GetIval().Ival)
		} else {
			t.mods = append(t.mods, -1) // not a constant: unknown
		}
	}
	return t
}

// serialTypes are the pseudo-types that add a sequence default.
var serialTypes = map[string]bool{"serial": true, "serial4": true, "bigserial": true, "serial8": true, "smallserial": true, "serial2": true}

// binaryCoercible are type changes PostgreSQL makes without touching the
// rows, whatever the modifiers (pg_cast entries with method 'b' between
// types of the same storage, and the relabelings ALTER COLUMN TYPE
// accepts without a rewrite).
var binaryCoercible = map[[2]string]bool{
	{"varchar", "text"}: true, {"text", "varchar"}: true, {"cidr", "inet"}: true,
	{"xml", "text"}: true, {"xml", "varchar"}: true,
}

// rewriteFor reports whether changing a column from old to new rewrites
// the table. known is false when lint does not know the old type: then
// rewrite says what most changes do.
func rewriteFor(old, new colType) (rewrite, known bool) {
	if !old.known() {
		// varchar or text without a limit accepts every string type's
		// values as they are only from varchar or text; lint cannot tell.
		return true, false
	}
	if old.array != new.array {
		return true, true
	}
	if old.name != new.name {
		if !binaryCoercible[[2]string{old.name, new.name}] {
			return true, true
		}
		// text -> varchar(n) must check every value: a rewrite.
		return new.name == "varchar" && len(new.mods) > 0, true
	}
	if equalMods(old.mods, new.mods) || len(new.mods) == 0 && old.name != "bpchar" {
		return false, true
	}
	if len(old.mods) == 0 || hasUnknown(old.mods) || hasUnknown(new.mods) {
		return true, true
	}
	switch old.name {
	case "varchar", "varbit", "bit varying":
		return new.mods[0] < old.mods[0], true
	case "numeric":
		os, ns := int32(0), int32(0)
		if len(old.mods) > 1 {
			os = old.mods[1]
		}
		if len(new.mods) > 1 {
			ns = new.mods[1]
		}
		return !(ns == os && new.mods[0] >= old.mods[0]), true
	case "timestamp", "timestamptz", "time", "timetz", "interval":
		return new.mods[len(new.mods)-1] < old.mods[len(old.mods)-1], true
	}
	return true, true
}

func equalMods(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasUnknown(m []int32) bool {
	for _, v := range m {
		if v < 0 {
			return true
		}
	}
	return false
}

// String writes the type back as SQL.
func (c colType) String() string {
	var b strings.Builder
	b.WriteString(c.name)
	if len(c.mods) > 0 {
		b.WriteByte('(')
		for i, m := range c.mods {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(itoa(int(m)))
		}
		b.WriteByte(')')
	}
	if c.array {
		b.WriteString("[]")
	}
	return b.String()
}

// typeText writes a type name back as SQL, as the parser read it
// ("interval day", "\"MyType\"[]", "app.money"), for fixes; "" when
// there is none.
func typeText(tn *pg.TypeName) string {
	if tn == nil {
		return ""
	}
	cast := &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{
		Arg:      &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true}}},
		TypeName: tn,
	}}}
	d := deparse(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: cast}}}}}}})
	if t, ok := strings.CutPrefix(strings.TrimSuffix(d, ";"), "SELECT NULL::"); ok {
		return t
	}
	return typeOf(tn).String()
}
