package lint

import (
	"fmt"
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// setNotNull: SET NOT NULL without a valid CHECK (col IS NOT NULL).
func (f *fileLinter) setNotNull(st *stmt, rel relName, r *relation, column string, loc int32, what string) {
	if r.notNullChecks[column] {
		return // PostgreSQL 12+ skips the scan: the check proves it
	}
	col := quoteIdent(column)
	con := quoteIdent(rel.name + "_" + column + "_not_null")
	fix := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n"+
		"-- in a later migration (VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on):\n"+
		"ALTER TABLE %s VALIDATE CONSTRAINT %s;\n"+
		"ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;  -- no scan: the valid check proves it\n"+
		"ALTER TABLE %s DROP CONSTRAINT %s;", rel, con, col, rel, con, rel, col, rel, con)
	if f.o.version >= 18 {
		fix = fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s NOT NULL %s NOT VALID;\n"+
			"-- in a later migration (VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on):\n"+
			"ALTER TABLE %s VALIDATE CONSTRAINT %s;", rel, con, col, rel, con)
	}
	f.add(st, loc, RuleSetNotNull, rel, AccessExclusive, false, true,
		fmt.Sprintf("%s on %s.%s reads the whole table to check for nulls under ACCESS EXCLUSIVE: reads and writes wait", what, rel, col), fix)
}

// addConstraint: ADD CHECK / ADD FOREIGN KEY without NOT VALID; ADD
// UNIQUE / PRIMARY KEY without USING INDEX; ADD EXCLUDE.
func (f *fileLinter) addConstraint(st *stmt, n *pg.AlterTableStmt, rel relName, cmd *pg.AlterTableCmd) {
	c := cmd.Def.GetConstraint()
	if c == nil {
		return
	}
	name := c.Conname
	switch c.Contype {
	case pg.ConstrType_CONSTR_CHECK, pg.ConstrType_CONSTR_FOREIGN:
		if c.SkipValidation || st.notEnforced(c) {
			return // NOT VALID, or NOT ENFORCED: no row is checked
		}
		if st.isNotNull(c) {
			// ADD [CONSTRAINT name] NOT NULL col: as SET NOT NULL.
			f.setNotNull(st, rel, f.sch.known(rel), notNullColumn(c.RawExpr), c.Location, "ADD CONSTRAINT ... NOT NULL")
			return
		}
		if name == "" {
			name = rel.name + "_" + strings.ToLower(conWord(c))
		}
		fix := f.notValidFix(st, n, rel, c, name)
		if c.Contype == pg.ConstrType_CONSTR_CHECK {
			f.add(st, c.Location, RuleAddCheck, rel, AccessExclusive, false, true,
				fmt.Sprintf("adds CHECK constraint %s to %s: every row is checked under ACCESS EXCLUSIVE, reads and writes wait", quoteIdent(name), rel), fix)
			return
		}
		pk := nameOf(c.Pktable)
		f.add(st, c.Location, RuleAddForeignKey, rel, ShareRowExclusive, false, true,
			fmt.Sprintf("adds FOREIGN KEY %s on %s referencing %s: every row is checked under SHARE ROW EXCLUSIVE on both tables, writes to both wait", quoteIdent(name), rel, pk), fix)
	case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
		if c.Indexname != "" {
			return // USING INDEX: the index exists, only the catalog changes
		}
		if name == "" {
			name = rel.name + "_" + strings.ToLower(strings.ReplaceAll(conKind(c), " ", "_"))
		}
		idx := quoteIdent(name + "_idx")
		cols := keyList(c.Keys)
		f.add(st, c.Location, RuleAddConstraintIndex, rel, AccessExclusive, false, true,
			fmt.Sprintf("adds %s constraint %s to %s: its index is built under ACCESS EXCLUSIVE, reads and writes wait until the build ends", conKind(c), quoteIdent(name), rel),
			fmt.Sprintf("%sCREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s);\n-- then, in the next migration:\nALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;",
				disableTx, idx, rel, cols, rel, quoteIdent(name), conKind(c), idx))
	case pg.ConstrType_CONSTR_EXCLUSION:
		f.add(st, c.Location, RuleAddConstraintIndex, rel, AccessExclusive, false, true,
			fmt.Sprintf("adds EXCLUDE constraint %s to %s: its index is built under ACCESS EXCLUSIVE, reads and writes wait until the build ends", quoteIdent(name), rel), "")
	}
}

// notValidFix writes the constraint as NOT VALID and the VALIDATE that
// follows in a later migration.
func (f *fileLinter) notValidFix(st *stmt, n *pg.AlterTableStmt, rel relName, c *pg.Constraint, name string) string {
	conname := c.Conname
	c.SkipValidation, c.InitiallyValid, c.Conname = true, false, name
	cmds := n.Cmds
	for _, cn := range n.Cmds {
		if cn.GetAlterTableCmd().GetDef().GetConstraint() == c {
			n.Cmds = []*pg.Node{cn}
		}
	}
	add := deparse(st.node)
	n.Cmds = cmds
	c.SkipValidation, c.InitiallyValid, c.Conname = false, true, conname
	return fmt.Sprintf("%s\n-- in a later migration (VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on):\nALTER TABLE %s VALIDATE CONSTRAINT %s;",
		add, rel, quoteIdent(name))
}

func conWord(c *pg.Constraint) string {
	if c.Contype == pg.ConstrType_CONSTR_FOREIGN {
		return "fkey"
	}
	return "check"
}

// keyList writes a constraint's column list.
func keyList(keys []*pg.Node) string {
	var cols []string
	for _, k := range keys {
		cols = append(cols, quoteIdent(k.GetString_().GetSval()))
	}
	return strings.Join(cols, ", ")
}
