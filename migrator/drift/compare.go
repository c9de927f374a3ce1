package drift

import (
	"sort"
	"strings"
)

// DiffKind says how an object differs.
type DiffKind string

// The kinds of difference.
const (
	Missing   DiffKind = "missing"   // the migrations build it; the database lacks it
	Extra     DiffKind = "extra"     // the database has it; the migrations do not build it
	Changed   DiffKind = "changed"   // both have it, with different definitions
	Reordered DiffKind = "reordered" // a table's columns in another order: information only
)

// Difference is one object that differs between the expected schema (what
// the migrations build) and the actual one (the database's). Expected is
// empty for an extra object, Actual for a missing one.
type Difference struct {
	ObjectType Kind     `json:"object_type"`
	Name       string   `json:"name"`
	Expected   string   `json:"expected"`
	Actual     string   `json:"actual"`
	Kind       DiffKind `json:"kind"`
}

// Info reports whether the difference is information only, not drift: a
// column order that differs (PostgreSQL appends the columns that ALTER
// TABLE adds, so a table altered by hand and rebuilt by migrations can
// differ in order only).
func (d Difference) Info() bool { return d.Kind == Reordered }

// Drifted reports whether diffs hold a difference that is not information
// only.
func Drifted(diffs []Difference) bool {
	for _, d := range diffs {
		if !d.Info() {
			return true
		}
	}
	return false
}

// Compare lists the differences between the expected and the actual
// schema, object by object (a table's columns one by one), sorted by kind
// of object, then name. Two schemas with equal objects give none.
func Compare(expected, actual *Schema) []Difference {
	var diffs []Difference
	exp, act := expected.index(), actual.index()
	for _, o := range expected.Objects {
		a, ok := act[key{o.Kind, o.Name}]
		if !ok {
			diffs = append(diffs, Difference{ObjectType: o.Kind, Name: o.Name, Expected: render(&o), Kind: Missing})
			continue
		}
		if o.Definition != a.Definition {
			diffs = append(diffs, Difference{ObjectType: o.Kind, Name: o.Name, Expected: o.Definition, Actual: a.Definition, Kind: Changed})
		}
		if o.Kind == KindTable || o.Kind == KindForeignTable {
			diffs = append(diffs, compareColumns(&o, a)...)
		}
	}
	for _, a := range actual.Objects {
		if _, ok := exp[key{a.Kind, a.Name}]; !ok {
			diffs = append(diffs, Difference{ObjectType: a.Kind, Name: a.Name, Actual: render(&a), Kind: Extra})
		}
	}
	sort.SliceStable(diffs, func(i, j int) bool {
		a, b := diffs[i], diffs[j]
		if ka, kb := orderOf(a.ObjectType), orderOf(b.ObjectType); ka != kb {
			return ka < kb
		}
		return a.Name < b.Name
	})
	return diffs
}

// orderOf places columns and column order right after tables.
func orderOf(k Kind) float64 {
	switch k {
	case KindColumn:
		return float64(kindOrder[KindTable]) + 0.3
	case KindColumnOrder:
		return float64(kindOrder[KindTable]) + 0.6
	}
	return float64(kindOrder[k])
}

// compareColumns compares the columns of a table present in both schemas.
func compareColumns(exp, act *Object) []Difference {
	var diffs []Difference
	actCols := map[string]string{}
	for _, c := range act.Columns {
		actCols[c.Name] = c.Definition
	}
	expCols := map[string]bool{}
	var expCommon, actCommon []string
	for _, c := range exp.Columns {
		expCols[c.Name] = true
		def, ok := actCols[c.Name]
		name := exp.Name + "." + c.Name
		switch {
		case !ok:
			diffs = append(diffs, Difference{ObjectType: KindColumn, Name: name, Expected: c.Definition, Kind: Missing})
		case def != c.Definition:
			diffs = append(diffs, Difference{ObjectType: KindColumn, Name: name, Expected: c.Definition, Actual: def, Kind: Changed})
		}
		if ok {
			expCommon = append(expCommon, c.Name)
		}
	}
	for _, c := range act.Columns {
		if !expCols[c.Name] {
			diffs = append(diffs, Difference{ObjectType: KindColumn, Name: act.Name + "." + c.Name, Actual: c.Definition, Kind: Extra})
		} else {
			actCommon = append(actCommon, c.Name)
		}
	}
	if strings.Join(expCommon, ", ") != strings.Join(actCommon, ", ") {
		diffs = append(diffs, Difference{ObjectType: KindColumnOrder, Name: exp.Name,
			Expected: strings.Join(expCommon, ", "), Actual: strings.Join(actCommon, ", "), Kind: Reordered})
	}
	return diffs
}
