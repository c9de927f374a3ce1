package lint

import (
	"fmt"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// dropColumn: DROP COLUMN of an existing table.
func (f *fileLinter) dropColumn(st *stmt, rel relName, cmd *pg.AlterTableCmd) {
	f.add(st, -1, RuleDropColumn, rel, AccessExclusive, false, false,
		fmt.Sprintf("drops column %s of %s: the release still running may read or write it", quoteIdent(cmd.Name), rel),
		"-- first deploy a release that no longer uses the column, then, in a later migration:\n"+
			fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s%s;", rel, ifExists(cmd.MissingOk), quoteIdent(cmd.Name)))
}

// rename: RENAME of a column or a table.
func (f *fileLinter) rename(st *stmt, n *pg.RenameStmt) {
	rel := nameOf(n.Relation)
	switch n.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		existing := f.existing(rel)
		if r := f.sch.find(rel); r != nil {
			f.sch.rename(r, n.Newname)
		}
		if !existing {
			return
		}
		f.lock(st, rel, AccessExclusive)
		f.add(st, n.Relation.Location, RuleRenameTable, rel, AccessExclusive, false, false,
			fmt.Sprintf("renames table %s to %s: the release still running uses the old name", rel, quoteIdent(n.Newname)),
			fmt.Sprintf("-- keep the old name working while both releases run:\nALTER TABLE %s RENAME TO %s;\nCREATE VIEW %s AS SELECT * FROM %s;  -- drop it once no release uses the old name",
				rel, quoteIdent(n.Newname), rel, relName{schema: rel.schema, name: n.Newname}))
	case pg.ObjectType_OBJECT_COLUMN:
		if n.RelationType != pg.ObjectType_OBJECT_TABLE {
			return
		}
		existing := f.existing(rel)
		if r := f.sch.find(rel); r != nil {
			if t, ok := r.columns[n.Subname]; ok {
				r.columns[n.Newname] = t
				delete(r.columns, n.Subname)
			}
		}
		if !existing {
			return
		}
		f.lock(st, rel, AccessExclusive)
		f.add(st, n.Relation.Location, RuleRenameColumn, rel, AccessExclusive, false, false,
			fmt.Sprintf("renames column %s of %s to %s: the release still running uses the old name", quoteIdent(n.Subname), rel, quoteIdent(n.Newname)),
			fmt.Sprintf("-- add the new column, write both from the application, backfill, and drop the old one in a later release:\nALTER TABLE %s ADD COLUMN %s ...;",
				rel, quoteIdent(n.Newname)))
	}
}

// alterEnum: ALTER TYPE ... RENAME VALUE.
func (f *fileLinter) alterEnum(st *stmt, n *pg.AlterEnumStmt) {
	if n.OldVal == "" {
		return
	}
	typ := listName(n.TypeName)
	if f.sch.isNew(typ) {
		return
	}
	f.add(st, -1, RuleRenameEnumValue, typ, NoLock, false, false,
		fmt.Sprintf("renames value '%s' of enum %s to '%s': the release still running writes and compares the old value", n.OldVal, typ, n.NewVal),
		fmt.Sprintf("-- add the new value first (in a disable-transaction migration on PostgreSQL 11 and older):\nALTER TYPE %s ADD VALUE IF NOT EXISTS '%s';\n"+
			"-- move rows to it in batches, and stop using '%s' before any rename or removal", typ, n.NewVal, n.OldVal))
}
