package sql

import _ "embed" // the statements below

// Statements of schema inspection (migrator/drift). Each reads one kind of
// object for the whole database, so that inspection runs a fixed number of
// queries, in one read-only transaction. Parameters: $1 the schemas left
// out (text[]), $2 the oid of the tracking table (0 when none).
var (
	// DriftTrackingTable resolves the tracking table ($1) to its oid.
	//go:embed drift_tracking_table.sql
	DriftTrackingTable string
	// DriftSearchPath makes the transaction print qualified names and
	// returns the current user.
	//go:embed drift_search_path.sql
	DriftSearchPath string
	// DriftSchemas lists the schemas.
	//go:embed drift_schemas.sql
	DriftSchemas string
	// DriftTables lists the tables with their options.
	//go:embed drift_tables.sql
	DriftTables string
	// DriftColumns lists the columns of those tables.
	//go:embed drift_columns.sql
	DriftColumns string
	// DriftConstraints lists the table constraints.
	//go:embed drift_constraints.sql
	DriftConstraints string
	// DriftIndexes lists the indexes that no constraint stands for.
	//go:embed drift_indexes.sql
	DriftIndexes string
	// DriftViews lists views and materialized views.
	//go:embed drift_views.sql
	DriftViews string
	// DriftFunctions lists functions and procedures.
	//go:embed drift_functions.sql
	DriftFunctions string
	// DriftTriggers lists the triggers.
	//go:embed drift_triggers.sql
	DriftTriggers string
	// DriftSequences lists the sequences.
	//go:embed drift_sequences.sql
	DriftSequences string
	// DriftTypes lists enum, composite, domain and range types.
	//go:embed drift_types.sql
	DriftTypes string
	// DriftExtensions lists the extensions.
	//go:embed drift_extensions.sql
	DriftExtensions string
	// DriftPolicies lists the row-level security policies.
	//go:embed drift_policies.sql
	DriftPolicies string
	// DriftComments lists the comments.
	//go:embed drift_comments.sql
	DriftComments string
	// DriftRules lists the rewrite rules that are not views.
	//go:embed drift_rules.sql
	DriftRules string
	// DriftStatistics lists the extended statistics objects.
	//go:embed drift_statistics.sql
	DriftStatistics string
	// DriftAggregates lists the aggregates.
	//go:embed drift_aggregates.sql
	DriftAggregates string
	// DriftPrivileges lists owners and grants.
	//go:embed drift_privileges.sql
	DriftPrivileges string
)
