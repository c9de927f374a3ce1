package lint

import (
	"fmt"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// refresh: REFRESH MATERIALIZED VIEW without CONCURRENTLY.
func (f *fileLinter) refresh(st *stmt, n *pg.RefreshMatViewStmt) {
	rel := nameOf(n.Relation)
	if !f.existing(rel) {
		return
	}
	if n.Concurrent {
		f.lock(st, rel, Exclusive)
		return
	}
	f.lock(st, rel, AccessExclusive)
	if n.SkipData {
		return
	}
	n.Concurrent = true
	fix := deparse(st.node) + "  -- needs a unique index on the view; reads go on while it runs"
	n.Concurrent = false
	f.add(st, n.Relation.Location, RuleRefreshMatview, rel, AccessExclusive, true, false,
		fmt.Sprintf("refreshes %s under ACCESS EXCLUSIVE: every read of the view waits while its query runs", rel), fix)
}

// truncate: TRUNCATE of an existing table.
func (f *fileLinter) truncate(st *stmt, n *pg.TruncateStmt) {
	for _, r := range n.Relations {
		rel := nameOf(r.GetRangeVar())
		if !f.existing(rel) {
			continue
		}
		f.lock(st, rel, AccessExclusive)
		f.add(st, r.GetRangeVar().GetLocation(), RuleTruncate, rel, AccessExclusive, false, false,
			fmt.Sprintf("truncates %s under ACCESS EXCLUSIVE, held until the migration commits: it waits for every query on the table, and every query waits behind it", rel),
			fmt.Sprintf("-- delete in batches from a disable-transaction migration:\nDELETE FROM %s WHERE ctid IN (SELECT ctid FROM %s LIMIT 10000);  -- repeat until it deletes no row", rel, rel))
	}
}

// lockTable: LOCK TABLE.
func (f *fileLinter) lockTable(st *stmt, n *pg.LockStmt) {
	mode := Lock(n.Mode)
	if mode <= NoLock || mode > AccessExclusive {
		mode = AccessExclusive
	}
	for _, r := range n.Relations {
		rel := nameOf(r.GetRangeVar())
		if !f.existing(rel) {
			continue
		}
		f.lock(st, rel, mode)
		f.add(st, r.GetRangeVar().GetLocation(), RuleLockTable, rel, mode, false, false,
			fmt.Sprintf("locks %s in %s mode until the migration commits", rel, mode),
			"-- take no explicit lock: each statement takes the lock it needs; if one is needed, keep the migration short and set lock_timeout first")
	}
}

// update: UPDATE without WHERE of an existing table in a transaction.
func (f *fileLinter) update(st *stmt, n *pg.UpdateStmt) {
	f.wholeTable(st, n.Relation, n.WhereClause != nil, RuleUpdateWholeTable,
		"updates every row of %[1]s in the migration's transaction: each row stays locked until it commits, so the application's updates and deletes of any row wait",
		"-- pgmig disable-transaction (in a migration of its own), then update in batches:\n"+
			"UPDATE %[1]s SET ... WHERE ctid IN (SELECT ctid FROM %[1]s WHERE <not yet updated> LIMIT 10000);  -- repeat until it updates no row")
}

// delete: DELETE without WHERE of an existing table in a transaction.
func (f *fileLinter) delete(st *stmt, n *pg.DeleteStmt) {
	f.wholeTable(st, n.Relation, n.WhereClause != nil, RuleDeleteWholeTable,
		"deletes every row of %[1]s in the migration's transaction: each row stays locked until it commits, so the application's updates and deletes wait",
		"-- pgmig disable-transaction (in a migration of its own), then delete in batches:\n"+
			"DELETE FROM %[1]s WHERE ctid IN (SELECT ctid FROM %[1]s LIMIT 10000);  -- repeat until it deletes no row")
}

// wholeTable notes the ROW EXCLUSIVE lock an UPDATE or DELETE of an
// existing relation takes, and reports rule when it has no WHERE and runs
// in the migration's transaction. message and fix are formats of the
// relation's name (%[1]s).
func (f *fileLinter) wholeTable(st *stmt, relation *pg.RangeVar, where bool, rule, message, fix string) {
	rel := nameOf(relation)
	if !f.existing(rel) {
		return
	}
	f.lock(st, rel, RowExclusive)
	if where || !f.tx {
		return
	}
	f.add(st, relation.Location, rule, rel, RowExclusive, false, true, fmt.Sprintf(message, rel), fmt.Sprintf(fix, rel))
}
