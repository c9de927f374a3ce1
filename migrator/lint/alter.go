package lint

import (
	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// alterLock is the table lock of one ALTER TABLE subcommand, as
// AlterTableGetLockLevel (src/backend/commands/tablecmds.c) decides it;
// the statement takes the strongest of its subcommands.
func alterLock(cmd *pg.AlterTableCmd) Lock {
	switch cmd.Subtype {
	case pg.AlterTableType_AT_AddConstraint:
		if c := cmd.Def.GetConstraint(); c != nil && c.Contype == pg.ConstrType_CONSTR_FOREIGN {
			return ShareRowExclusive // adds triggers to both tables, as CREATE TRIGGER
		}
		return AccessExclusive
	case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig, pg.AlterTableType_AT_EnableReplicaTrig,
		pg.AlterTableType_AT_EnableTrigAll, pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrig,
		pg.AlterTableType_AT_DisableTrigAll, pg.AlterTableType_AT_DisableTrigUser:
		return ShareRowExclusive
	case pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_DropCluster,
		pg.AlterTableType_AT_SetOptions, pg.AlterTableType_AT_ResetOptions, pg.AlterTableType_AT_ValidateConstraint,
		pg.AlterTableType_AT_AttachPartition, pg.AlterTableType_AT_DetachPartitionFinalize,
		pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions:
		// SET (...) storage parameters: SHARE UPDATE EXCLUSIVE for the
		// fillfactor, autovacuum and parallel_workers ones that
		// migrations set.
		return ShareUpdateExclusive
	case pg.AlterTableType_AT_DetachPartition:
		if cmd.Def.GetPartitionCmd().GetConcurrent() {
			return ShareUpdateExclusive
		}
		return AccessExclusive
	default:
		return AccessExclusive
	}
}

// alterTable runs the rules of each subcommand of ALTER TABLE and keeps
// the schema up to date.
func (f *fileLinter) alterTable(st *stmt, n *pg.AlterTableStmt) {
	rel := nameOf(n.Relation)
	existing := f.existing(rel)
	r := f.sch.known(rel)
	mode := NoLock
	for _, c := range n.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		mode = max(mode, alterLock(cmd))
		if c := cmd.Def.GetConstraint(); c != nil && c.Contype == pg.ConstrType_CONSTR_FOREIGN {
			f.lock(st, nameOf(c.Pktable), ShareRowExclusive) // the referenced table gets triggers too
		}
		if existing && n.Objtype == pg.ObjectType_OBJECT_TABLE {
			f.alterCmd(st, n, rel, r, cmd)
		}
		if existing && cmd.Subtype == pg.AlterTableType_AT_ValidateConstraint {
			st.validates = true
		}
		f.track(st, r, cmd)
	}
	f.lock(st, rel, mode)
}

// alterCmd applies the rules to one subcommand on an existing table.
func (f *fileLinter) alterCmd(st *stmt, n *pg.AlterTableStmt, rel relName, r *relation, cmd *pg.AlterTableCmd) {
	switch cmd.Subtype {
	case pg.AlterTableType_AT_AddColumn:
		f.addColumn(st, rel, cmd.Def.GetColumnDef())
	case pg.AlterTableType_AT_AlterColumnType:
		f.alterColumnType(st, rel, r, cmd)
	case pg.AlterTableType_AT_SetLogged, pg.AlterTableType_AT_SetUnLogged:
		f.setLogged(st, rel, cmd)
	case pg.AlterTableType_AT_SetNotNull:
		f.setNotNull(st, rel, r, cmd.Name, -1, "SET NOT NULL")
	case pg.AlterTableType_AT_AddConstraint:
		f.addConstraint(st, n, rel, cmd)
	case pg.AlterTableType_AT_DropColumn:
		f.dropColumn(st, rel, cmd)
	}
}

// track records what a subcommand changes in the schema.
func (f *fileLinter) track(st *stmt, r *relation, cmd *pg.AlterTableCmd) {
	switch cmd.Subtype {
	case pg.AlterTableType_AT_AddColumn:
		if cd := cmd.Def.GetColumnDef(); cd != nil {
			r.columns[cd.Colname] = typeOf(cd.TypeName)
		}
	case pg.AlterTableType_AT_AlterColumnType:
		if cd := cmd.Def.GetColumnDef(); cd != nil {
			r.columns[cmd.Name] = typeOf(cd.TypeName)
		}
	case pg.AlterTableType_AT_DropColumn:
		delete(r.columns, cmd.Name)
		delete(r.notNullChecks, cmd.Name)
	case pg.AlterTableType_AT_AddConstraint:
		c := cmd.Def.GetConstraint()
		if c == nil || c.Contype != pg.ConstrType_CONSTR_CHECK || st.notEnforced(c) {
			return // a NOT ENFORCED check proves nothing, and cannot be validated
		}
		if col := notNullColumn(c.RawExpr); col != "" {
			if c.SkipValidation {
				name := c.Conname
				if name == "" && st.isNotNull(c) {
					name = r.name.name + "_" + col + "_not_null" // PostgreSQL 18's name for it
				}
				r.checks[name] = col
			} else {
				r.notNullChecks[col] = true
			}
		}
	case pg.AlterTableType_AT_ValidateConstraint:
		if col, ok := r.checks[cmd.Name]; ok {
			r.notNullChecks[col] = true
		}
	case pg.AlterTableType_AT_DropConstraint:
		if col, ok := r.checks[cmd.Name]; ok {
			delete(r.notNullChecks, col)
			delete(r.checks, cmd.Name)
		}
	}
}

// notNullColumn returns col when the expression is 'col IS NOT NULL'.
func notNullColumn(e *pg.Node) string {
	nt := e.GetNullTest()
	if nt == nil || nt.Nulltesttype != pg.NullTestType_IS_NOT_NULL {
		return ""
	}
	fields := nt.Arg.GetColumnRef().GetFields()
	if len(fields) != 1 {
		return ""
	}
	return fields[0].GetString_().GetSval()
}
