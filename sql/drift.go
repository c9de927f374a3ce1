package sql

// Statements of schema inspection (migrator/drift). Each reads one kind of
// object for the whole database, so that inspection runs a fixed number of
// queries, in one read-only transaction. Parameters: $1 the schemas left
// out (text[]), $2 the oid of the tracking table (0 when none).
var (
	// DriftTrackingTable resolves the tracking table ($1) to its oid.
	DriftTrackingTable = load("drift_tracking_table.sql")
	// DriftSearchPath makes the transaction print qualified names and
	// returns the current user.
	DriftSearchPath = load("drift_search_path.sql")
	// DriftSchemas lists the schemas.
	DriftSchemas = load("drift_schemas.sql")
	// DriftTables lists the tables with their options.
	DriftTables = load("drift_tables.sql")
	// DriftColumns lists the columns of those tables.
	DriftColumns = load("drift_columns.sql")
	// DriftConstraints lists the table constraints.
	DriftConstraints = load("drift_constraints.sql")
	// DriftIndexes lists the indexes that no constraint stands for.
	DriftIndexes = load("drift_indexes.sql")
	// DriftViews lists views and materialized views.
	DriftViews = load("drift_views.sql")
	// DriftFunctions lists functions and procedures.
	DriftFunctions = load("drift_functions.sql")
	// DriftTriggers lists the triggers.
	DriftTriggers = load("drift_triggers.sql")
	// DriftSequences lists the sequences.
	DriftSequences = load("drift_sequences.sql")
	// DriftTypes lists enum, composite, domain and range types.
	DriftTypes = load("drift_types.sql")
	// DriftExtensions lists the extensions.
	DriftExtensions = load("drift_extensions.sql")
	// DriftPolicies lists the row-level security policies.
	DriftPolicies = load("drift_policies.sql")
	// DriftComments lists the comments.
	DriftComments = load("drift_comments.sql")
	// DriftRules lists the rewrite rules that are not views.
	DriftRules = load("drift_rules.sql")
	// DriftStatistics lists the extended statistics objects.
	DriftStatistics = load("drift_statistics.sql")
	// DriftAggregates lists the aggregates.
	DriftAggregates = load("drift_aggregates.sql")
	// DriftPrivileges lists owners and grants.
	DriftPrivileges = load("drift_privileges.sql")
)
