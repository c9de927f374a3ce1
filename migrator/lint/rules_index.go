package lint

import (
	"fmt"
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// disableTx is the header a fix needs when it cannot run in a
// transaction block.
const disableTx = "-- pgmig disable-transaction (in a migration of its own)\n"

// createIndex: CREATE INDEX without CONCURRENTLY on an existing table.
func (f *fileLinter) createIndex(st *stmt, n *pg.IndexStmt) {
	table := nameOf(n.Relation)
	idx := relName{schema: table.schema, name: n.Idxname}
	existing := f.existing(table)
	if n.Idxname != "" {
		f.sch.add(&relation{name: idx, isNew: true, kind: "index", table: table})
	}
	if !existing || n.Concurrent {
		if existing {
			f.lock(st, table, ShareUpdateExclusive)
		}
		return
	}
	f.lock(st, table, Share)
	var fix string
	if r := f.sch.find(table); r != nil && r.partitioned && n.Idxname != "" {
		fix = partitionedIndexFix(st, n)
	} else {
		n.Concurrent = true
		fix = disableTx + deparse(st.node)
		n.Concurrent = false
	}
	what := "builds an index"
	if n.Unique {
		what = "builds a unique index"
	}
	f.add(st, n.Relation.Location, RuleCreateIndex, table, Share, false, true,
		fmt.Sprintf("%s on %s under a SHARE lock: inserts, updates and deletes wait until the build ends", what, table), fix)
}

// partitionedIndexFix is the fix for an index on a partitioned table,
// which PostgreSQL cannot build CONCURRENTLY: an index on the parent
// alone (invalid, instant), one built concurrently on each partition,
// attached to it.
func partitionedIndexFix(st *stmt, n *pg.IndexStmt) string {
	inh := n.Relation.Inh
	n.Relation.Inh = false
	only := deparse(st.node)
	n.Relation.Inh = inh
	idx := quoteIdent(n.Idxname)
	return only + "  -- the parent alone: no build\n" + disableTx +
		"-- for each partition p: CREATE INDEX CONCURRENTLY p_idx ON p (...);\n" +
		"-- then: ALTER INDEX " + idx + " ATTACH PARTITION p_idx;  -- valid once every partition's is attached"
}

// reindex: REINDEX without CONCURRENTLY.
func (f *fileLinter) reindex(st *stmt, n *pg.ReindexStmt) {
	for _, p := range n.Params {
		if strings.EqualFold(p.GetDefElem().GetDefname(), "concurrently") {
			return
		}
	}
	var rel relName
	switch n.Kind {
	case pg.ReindexObjectType_REINDEX_OBJECT_INDEX:
		rel = nameOf(n.Relation)
		if r := f.sch.find(rel); r != nil && (r.isNew || f.sch.isNew(r.table)) {
			return
		}
		if r := f.sch.find(rel); r != nil && r.table.name != "" {
			f.lock(st, r.table, Share)
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_TABLE:
		rel = nameOf(n.Relation)
		if !f.existing(rel) {
			return
		}
		f.lock(st, rel, Share)
	default:
		rel = relName{name: n.Name}
	}
	n.Params = append(n.Params, &pg.Node{Node: &pg.Node_DefElem{DefElem: &pg.DefElem{Defname: "concurrently"}}})
	fix := disableTx + deparse(st.node)
	n.Params = n.Params[:len(n.Params)-1]
	loc := int32(-1)
	if n.Relation != nil {
		loc = n.Relation.Location
	}
	if n.Kind == pg.ReindexObjectType_REINDEX_OBJECT_INDEX {
		f.add(st, loc, RuleReindex, rel, AccessExclusive, true, false,
			fmt.Sprintf("rebuilds index %s under ACCESS EXCLUSIVE on it and SHARE on its table: writes wait, and so do reads that use the index", rel), fix)
		return
	}
	f.add(st, loc, RuleReindex, rel, Share, false, true,
		fmt.Sprintf("rebuilds the indexes of %s under a SHARE lock on the table and ACCESS EXCLUSIVE on each index: writes wait, and so do reads that use the index", rel), fix)
}

// drop: DROP INDEX without CONCURRENTLY, DROP TABLE.
func (f *fileLinter) drop(st *stmt, n *pg.DropStmt) {
	for _, obj := range n.Objects {
		rel := listName(obj.GetList().GetItems())
		switch n.RemoveType {
		case pg.ObjectType_OBJECT_INDEX:
			r := f.sch.find(rel)
			isNew := r != nil && (r.isNew || f.sch.isNew(r.table))
			f.sch.drop(rel)
			if isNew || n.Concurrent {
				continue
			}
			table := rel
			if r != nil && r.table.name != "" {
				table = r.table
			}
			f.lock(st, table, AccessExclusive)
			f.add(st, -1, RuleDropIndex, rel, AccessExclusive, false, false,
				fmt.Sprintf("drops index %s under an ACCESS EXCLUSIVE lock on its table: it waits for every query on the table, and every query waits behind it", rel),
				disableTx+"DROP INDEX CONCURRENTLY "+ifExists(n.MissingOk)+rel.String()+";")
		case pg.ObjectType_OBJECT_TABLE:
			existing := f.existing(rel)
			f.sch.drop(rel)
			if !existing {
				continue
			}
			f.lock(st, rel, AccessExclusive)
			f.add(st, -1, RuleDropTable, rel, AccessExclusive, false, false,
				fmt.Sprintf("drops table %s: the release still running may read or write it", rel),
				"-- first deploy a release that no longer uses the table, then, in a later migration:\n"+deparse(st.node))
		case pg.ObjectType_OBJECT_MATVIEW, pg.ObjectType_OBJECT_VIEW:
			f.sch.drop(rel)
		}
	}
}

func ifExists(b bool) string {
	if b {
		return "IF EXISTS "
	}
	return ""
}
