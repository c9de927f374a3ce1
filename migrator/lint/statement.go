package lint

import (
	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// statement dispatches one parsed statement to the rules of its kind
// and records what it creates, renames or drops.
func (f *fileLinter) statement(st *stmt) {
	switch n := st.node.Node.(type) {
	case *pg.Node_CreateStmt:
		r := f.sch.add(&relation{name: nameOf(n.CreateStmt.Relation), isNew: true, kind: "table", partitioned: n.CreateStmt.Partspec != nil})
		for _, e := range n.CreateStmt.TableElts {
			if cd := e.GetColumnDef(); cd != nil {
				r.columns[cd.Colname] = typeOf(cd.TypeName)
				for _, c := range cd.Constraints {
					f.referenced(st, c.GetConstraint())
				}
			}
			f.referenced(st, e.GetConstraint())
		}
	case *pg.Node_CreateTableAsStmt:
		if into := n.CreateTableAsStmt.Into; into != nil {
			f.sch.add(&relation{name: nameOf(into.Rel), isNew: true, kind: "table"})
		}
	case *pg.Node_CreateEnumStmt:
		f.sch.add(&relation{name: listName(n.CreateEnumStmt.TypeName), isNew: true, kind: "type"})
	case *pg.Node_ViewStmt:
		f.sch.add(&relation{name: nameOf(n.ViewStmt.View), isNew: true, kind: "view"})
	case *pg.Node_IndexStmt:
		f.createIndex(st, n.IndexStmt)
	case *pg.Node_ReindexStmt:
		f.reindex(st, n.ReindexStmt)
	case *pg.Node_DropStmt:
		f.drop(st, n.DropStmt)
	case *pg.Node_AlterTableStmt:
		f.alterTable(st, n.AlterTableStmt)
	case *pg.Node_RenameStmt:
		f.rename(st, n.RenameStmt)
	case *pg.Node_AlterEnumStmt:
		f.alterEnum(st, n.AlterEnumStmt)
	case *pg.Node_VacuumStmt:
		f.vacuum(st, n.VacuumStmt)
	case *pg.Node_ClusterStmt:
		f.cluster(st, n.ClusterStmt)
	case *pg.Node_RefreshMatViewStmt:
		f.refresh(st, n.RefreshMatViewStmt)
	case *pg.Node_TruncateStmt:
		f.truncate(st, n.TruncateStmt)
	case *pg.Node_LockStmt:
		f.lockTable(st, n.LockStmt)
	case *pg.Node_UpdateStmt:
		f.update(st, n.UpdateStmt)
	case *pg.Node_DeleteStmt:
		f.delete(st, n.DeleteStmt)
	case *pg.Node_CreateTrigStmt:
		f.lock(st, nameOf(n.CreateTrigStmt.Relation), ShareRowExclusive)
	case *pg.Node_VariableSetStmt:
		f.set(n.VariableSetStmt)
	case *pg.Node_SelectStmt:
		f.setConfig(n.SelectStmt)
	case *pg.Node_TransactionStmt:
		f.transaction(n.TransactionStmt)
	}
}

// referenced records the SHARE ROW EXCLUSIVE lock that a foreign key of
// a new table takes on the table it references.
func (f *fileLinter) referenced(st *stmt, c *pg.Constraint) {
	if c != nil && c.Contype == pg.ConstrType_CONSTR_FOREIGN {
		f.lock(st, nameOf(c.Pktable), ShareRowExclusive)
	}
}

// existing reports whether rel is a relation that other sessions may be
// using: one the run did not create.
func (f *fileLinter) existing(rel relName) bool {
	return rel.name != "" && !f.sch.isNew(rel)
}

// parseTreeVersion is the version of the parse trees of pg_query_go v6
// (PostgreSQL 17.7), which its deparser insists on.
const parseTreeVersion = 170007

// deparse writes a statement back as SQL, ending with ';'.
func deparse(n *pg.Node) string {
	s, err := pg.Deparse(&pg.ParseResult{Version: parseTreeVersion, Stmts: []*pg.RawStmt{{Stmt: n}}})
	if err != nil {
		return ""
	}
	return s + ";"
}

// listName joins a qualified name list (schema, name) read from the
// parse tree.
func listName(items []*pg.Node) relName {
	var parts []string
	for _, it := range items {
		parts = append(parts, it.GetString_().GetSval())
	}
	switch len(parts) {
	case 0:
		return relName{}
	case 1:
		return relName{name: parts[0]}
	default:
		return relName{schema: parts[len(parts)-2], name: parts[len(parts)-1]}
	}
}
