package lint

import (
	"fmt"
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"

	pgsql "github.com/pgmig/pgmig/sql"
)

// seedRows is how many rows an empty table gets before a measured
// migration: enough for scans and rewrites to be real.
const seedRows = 3

// seed inserts seedRows rows into every empty table of the user's
// schemas. A table whose insert fails (a check, a foreign key to an empty
// table, a type lint cannot make values of) is tried again after the
// others, and left empty if it keeps failing.
func (m *measurer) seed() error {
	rows, err := m.conn.QueryContext(m.ctx, pgsql.LintSeedTables)
	if err != nil {
		return err
	}
	type table struct {
		oid  int64
		name string
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.oid, &t.name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var empty []table
	for _, t := range tables {
		if m.seeded[t.oid] {
			continue
		}
		var has bool
		if err := m.conn.QueryRowContext(m.ctx, "SELECT EXISTS (SELECT FROM "+t.name+")").Scan(&has); err != nil {
			return err
		}
		if has {
			m.seeded[t.oid] = true
		} else {
			empty = append(empty, t)
		}
	}
	for pass := 0; pass < 3 && len(empty) > 0; pass++ {
		var left []table
		for _, t := range empty {
			insert, err := m.seedInsert(t.oid, t.name)
			if err != nil {
				return err
			}
			if _, err := m.conn.ExecContext(m.ctx, insert); err != nil {
				left = append(left, t)
			} else {
				m.seeded[t.oid] = true
			}
		}
		empty = left
	}
	return nil
}

// seedInsert writes the INSERT of seedRows rows into a table.
func (m *measurer) seedInsert(oid int64, name string) (string, error) {
	rows, err := m.conn.QueryContext(m.ctx, pgsql.LintSeedColumns, oid)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols, vals []string
	for rows.Next() {
		var col, typ, category, typname string
		if err := rows.Scan(&col, &typ, &category, &typname); err != nil {
			return "", err
		}
		cols = append(cols, col)
		vals = append(vals, seedValue(typ, category, typname))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return fmt.Sprintf("INSERT INTO %s SELECT FROM generate_series(1, %d)", name, seedRows), nil
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %d) AS g",
		name, strings.Join(cols, ", "), strings.Join(vals, ", "), seedRows), nil
}

// seedValue is the value of seed row g for a column of type typ.
func seedValue(typ, category, typname string) string {
	var v string
	switch {
	case typname == "uuid":
		v = "md5(g::text)::uuid"
	case typname == "json" || typname == "jsonb":
		v = "'{}'"
	case typname == "bytea":
		v = "'\\x00'"
	case typname == "inet" || typname == "cidr":
		v = "('10.0.0.' || g)"
	case category == "N":
		v = "g"
	case category == "S":
		v = "g::text"
	case category == "B":
		v = "g % 2 = 0"
	case category == "D":
		v = "now()"
	case category == "T":
		v = "interval '1 second' * g"
	case category == "E":
		v = "(enum_range(NULL::" + typ + "))[1]"
	case category == "A":
		v = "'{}'"
	default:
		v = "NULL"
	}
	return "(" + v + ")::" + typ
}

// relationNames returns the relations a statement names, as findings
// name them: every RangeVar of its tree and the objects of DROP.
func relationNames(n *pg.Node) []string {
	var out []string
	add := func(r relName) {
		if r.name != "" && !contains(out, r.String()) {
			out = append(out, r.String())
		}
	}
	n.Walk(func(m any) bool {
		switch m := m.(type) {
		case *pg.RangeVar:
			add(nameOf(m))
			return false
		case *pg.DropStmt:
			for _, obj := range m.Objects {
				add(listName(obj.GetList().GetItems()))
			}
		}
		return true
	})
	return out
}
