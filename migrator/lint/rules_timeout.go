package lint

import (
	"fmt"
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// set follows SET lock_timeout: a non-zero value puts a lock timeout in
// effect for the statements after it; 0, DEFAULT and RESET take it away.
// SET LOCAL lasts until the end of the transaction.
func (f *fileLinter) set(n *pg.VariableSetStmt) {
	if n.Kind == pg.VariableSetKind_VAR_RESET_ALL {
		f.timeout, f.localTimeout, f.sch.path = false, nil, nil
		return
	}
	if strings.EqualFold(n.Name, "search_path") {
		f.sch.path = nil
		if n.Kind == pg.VariableSetKind_VAR_SET_VALUE {
			var items []string
			for _, a := range n.Args {
				items = append(items, a.GetAConst().GetSval().GetSval())
			}
			f.sch.path = searchPath(strings.Join(items, ","))
		}
		return
	}
	if !strings.EqualFold(n.Name, "lock_timeout") {
		return
	}
	switch n.Kind {
	case pg.VariableSetKind_VAR_SET_VALUE:
		f.setTimeout(len(n.Args) > 0 && !zeroSetting(n.Args[0]), n.IsLocal)
	case pg.VariableSetKind_VAR_SET_DEFAULT, pg.VariableSetKind_VAR_RESET:
		f.setTimeout(false, n.IsLocal)
	}
}

// setTimeout records a new lock timeout, for the transaction only when
// local.
func (f *fileLinter) setTimeout(on, local bool) {
	switch {
	case !local:
		f.timeout, f.localTimeout = on, nil
	case f.tx:
		f.localTimeout = &on
	}
	// SET LOCAL outside a transaction block changes nothing.
}

// hasTimeout reports whether a lock timeout is in effect.
func (f *fileLinter) hasTimeout() bool {
	if f.localTimeout != nil {
		return *f.localTimeout
	}
	return f.timeout
}

// setConfig follows SELECT set_config('lock_timeout', value, is_local),
// the function form of SET, and the same for search_path.
func (f *fileLinter) setConfig(n *pg.SelectStmt) {
	for _, t := range n.TargetList {
		fc := t.GetResTarget().GetVal().GetFuncCall()
		if fc == nil || len(fc.Args) != 3 || !strings.EqualFold(listName(fc.Funcname).name, "set_config") {
			continue
		}
		name, value, local := fc.Args[0].GetAConst(), fc.Args[1].GetAConst(), fc.Args[2].GetAConst()
		if name == nil || value == nil || local == nil {
			continue
		}
		if strings.EqualFold(name.GetSval().GetSval(), "search_path") {
			f.sch.path = searchPath(value.GetSval().GetSval())
		}
		if !strings.EqualFold(name.GetSval().GetSval(), "lock_timeout") {
			continue
		}
		f.setTimeout(!zeroSetting(fc.Args[1]), local.GetBoolval().GetBoolval())
	}
}

// searchPath reads a search_path setting, "app, public": unquoted
// names in lower case, "$user" left out (lint does not know the role).
func searchPath(v string) []string {
	out := []string{}
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "" || item == `"$user"` || item == "$user":
		case len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"':
			out = append(out, strings.ReplaceAll(item[1:len(item)-1], `""`, `"`))
		default:
			out = append(out, strings.ToLower(item))
		}
	}
	return out
}

// zeroSetting reports whether a SET value is 0, which turns a timeout off.
func zeroSetting(n *pg.Node) bool {
	c := n.GetAConst()
	if c == nil {
		return false
	}
	if i := c.GetIval(); i != nil {
		return i.Ival == 0
	}
	if s := c.GetSval(); s != nil {
		v := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s.Sval), "msinhd"))
		return v == "0" || v == ""
	}
	return false
}

// transaction follows BEGIN and COMMIT in a disable-transaction file.
func (f *fileLinter) transaction(n *pg.TransactionStmt) {
	if !f.mig.DisableTransaction {
		return // refused by validate: pgmig runs the file in a transaction of its own
	}
	switch n.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
		f.tx = true
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		f.tx, f.held, f.localTimeout = false, nil, nil
	}
}

// afterStatement runs the rules about a statement's locks in the light of
// what came before it: the lock timeout, and a brief ACCESS EXCLUSIVE
// lock held through a long statement.
func (f *fileLinter) afterStatement(st *stmt) {
	strongest, locks := st.strongest()
	if locks && strongest.mode >= ShareRowExclusive && !f.hasTimeout() && !f.timeoutReported {
		f.timeoutReported = true
		f.add(st, -1, RuleMissingLockTimeout, strongest.rel, strongest.mode, false, false,
			fmt.Sprintf("takes %s on %s with no lock timeout: behind any transaction that holds a lock on %s, it waits, and every query on %s queues behind it",
				strongest.mode, strongest.rel, strongest.rel, strongest.rel),
			"SET lock_timeout = '2s';  -- at the top of the migration, or the header '-- pgmig lock-timeout 2s'; retry the migration when it times out")
	}
	if !f.tx {
		f.held = nil
		return
	}
	if st.long != 0 || st.validates {
		line, what := st.scan.Line, "VALIDATE CONSTRAINT, which reads the whole table"
		if st.long != 0 {
			long := f.findings[st.long-1]
			line, what = long.Line, long.Rule
		}
		for i := range f.held {
			h := &f.held[i]
			if h.reported || st.takes(h.rel, AccessExclusive) {
				continue // the long statement locks the relation as strongly itself
			}
			h.reported = true
			held := f.stmts[h.stmt]
			hs := &stmt{index: h.stmt, scan: held}
			f.add(hs, -1, RuleLockHeld, h.rel, AccessExclusive, false, false,
				fmt.Sprintf("takes ACCESS EXCLUSIVE on %s and holds it until the migration commits, through the long statement at line %d (%s): reads and writes of %s wait for all of it",
					h.rel, line, what, h.rel),
				fmt.Sprintf("-- move the statement at line %d into a migration of its own", line))
		}
		return
	}
	if locks && strongest.mode == AccessExclusive {
		f.held = append(f.held, heldLock{stmt: st.index, rel: strongest.rel})
	}
}

// takes reports whether the statement takes mode on rel.
func (st *stmt) takes(rel relName, mode Lock) bool {
	for _, l := range st.locks {
		if l.mode >= mode && l.rel.matches(rel) {
			return true
		}
	}
	return false
}
