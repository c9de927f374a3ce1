package lint

// Rule describes one lint rule. Ids are stable: suppressions and CI
// configurations name them.
type Rule struct {
	ID       string
	Family   string   // index, rewrite, scan, hold, break, timeout or lint
	Severity Severity // severity of its findings
	// Statement is what the rule looks at, and Lock the table lock that
	// statement takes, for the documentation.
	Statement, Lock string
	Summary         string // why it hurts, in one sentence
}

// The rule ids.
const (
	RuleCreateIndex        = "create-index-blocking"
	RuleDropIndex          = "drop-index-blocking"
	RuleReindex            = "reindex-blocking"
	RuleAddConstraintIndex = "add-constraint-builds-index"
	RuleAlterColumnType    = "alter-column-type-rewrite"
	RuleVolatileDefault    = "add-column-volatile-default"
	RuleStoredGenerated    = "add-column-stored-generated"
	RuleIdentityColumn     = "add-column-identity"
	RuleSerialColumn       = "add-column-serial"
	RuleSetLogged          = "set-logged-rewrite"
	RuleVacuumFull         = "vacuum-full"
	RuleCluster            = "cluster"
	RuleSetNotNull         = "set-not-null-scan"
	RuleAddCheck           = "add-check-validates"
	RuleAddForeignKey      = "add-foreign-key-validates"
	RuleRefreshMatview     = "refresh-matview-blocking"
	RuleTruncate           = "truncate-table"
	RuleLockTable          = "lock-table"
	RuleUpdateWholeTable   = "update-whole-table"
	RuleDeleteWholeTable   = "delete-whole-table"
	RuleLockHeld           = "exclusive-lock-held-through-long-statement"
	RuleDropColumn         = "drop-column"
	RuleDropTable          = "drop-table"
	RuleRenameColumn       = "rename-column"
	RuleRenameTable        = "rename-table"
	RuleRenameEnumValue    = "rename-enum-value"
	RuleMissingLockTimeout = "missing-lock-timeout"
	RuleUnusedIgnore       = "unused-lint-ignore"
	RuleParseError         = "parse-error"
	RuleNewerSyntax        = "syntax-newer-than-server"
)

var rules = []Rule{
	{RuleCreateIndex, "index", SeverityError, "CREATE INDEX without CONCURRENTLY", "SHARE",
		"blocks every write to the table for as long as the build takes"},
	{RuleDropIndex, "index", SeverityWarning, "DROP INDEX without CONCURRENTLY", "ACCESS EXCLUSIVE",
		"queues behind any running query on the table, and every query queues behind it"},
	{RuleReindex, "index", SeverityError, "REINDEX without CONCURRENTLY", "SHARE (ACCESS EXCLUSIVE on the index)",
		"blocks writes, and reads that use the index, for the whole rebuild"},
	{RuleAddConstraintIndex, "index", SeverityError, "ADD UNIQUE / ADD PRIMARY KEY without USING INDEX", "ACCESS EXCLUSIVE",
		"builds the index while holding a lock that blocks reads and writes"},
	{RuleAlterColumnType, "rewrite", SeverityError, "ALTER COLUMN ... TYPE to a type that is not binary-coercible", "ACCESS EXCLUSIVE",
		"rewrites the table and its indexes while blocking reads and writes"},
	{RuleVolatileDefault, "rewrite", SeverityError, "ADD COLUMN with a volatile DEFAULT", "ACCESS EXCLUSIVE",
		"computes the default for every row: a rewrite under a lock that blocks reads and writes"},
	{RuleStoredGenerated, "rewrite", SeverityError, "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED", "ACCESS EXCLUSIVE",
		"computes and stores the value of every row: a rewrite under a lock that blocks reads and writes"},
	{RuleIdentityColumn, "rewrite", SeverityError, "ADD COLUMN ... GENERATED AS IDENTITY", "ACCESS EXCLUSIVE",
		"fills the new column from a sequence for every row: a rewrite"},
	{RuleSerialColumn, "rewrite", SeverityError, "ADD COLUMN of type serial, bigserial or smallserial", "ACCESS EXCLUSIVE",
		"fills the new column from a sequence for every row: a rewrite"},
	{RuleSetLogged, "rewrite", SeverityError, "ALTER TABLE ... SET LOGGED / SET UNLOGGED", "ACCESS EXCLUSIVE",
		"rewrites the table (and writes all of it to the WAL for SET LOGGED)"},
	{RuleVacuumFull, "rewrite", SeverityError, "VACUUM FULL", "ACCESS EXCLUSIVE",
		"rewrites the table while blocking reads and writes"},
	{RuleCluster, "rewrite", SeverityError, "CLUSTER", "ACCESS EXCLUSIVE",
		"rewrites the table in index order while blocking reads and writes"},
	{RuleSetNotNull, "scan", SeverityError, "ALTER COLUMN ... SET NOT NULL without a valid CHECK (col IS NOT NULL)", "ACCESS EXCLUSIVE",
		"reads the whole table to check for nulls while blocking reads and writes"},
	{RuleAddCheck, "scan", SeverityError, "ADD CHECK without NOT VALID", "ACCESS EXCLUSIVE",
		"reads the whole table to check every row while blocking reads and writes"},
	{RuleAddForeignKey, "scan", SeverityError, "ADD FOREIGN KEY without NOT VALID", "SHARE ROW EXCLUSIVE (both tables)",
		"checks every row against the referenced table while blocking writes to both"},
	{RuleRefreshMatview, "hold", SeverityError, "REFRESH MATERIALIZED VIEW without CONCURRENTLY", "ACCESS EXCLUSIVE",
		"blocks every read of the view while its query runs"},
	{RuleTruncate, "hold", SeverityWarning, "TRUNCATE", "ACCESS EXCLUSIVE",
		"blocks reads and writes until the migration commits, and queues behind every running query"},
	{RuleLockTable, "hold", SeverityWarning, "LOCK TABLE", "as named (ACCESS EXCLUSIVE by default)",
		"holds the lock until the migration commits"},
	{RuleUpdateWholeTable, "hold", SeverityWarning, "UPDATE without WHERE in a transactional migration", "ROW EXCLUSIVE, and every row",
		"locks every row until the migration commits: concurrent updates of any row wait"},
	{RuleDeleteWholeTable, "hold", SeverityWarning, "DELETE without WHERE in a transactional migration", "ROW EXCLUSIVE, and every row",
		"locks every row until the migration commits: concurrent updates of any row wait"},
	{RuleLockHeld, "hold", SeverityWarning, "an ACCESS EXCLUSIVE statement followed by a long one in the same transaction", "ACCESS EXCLUSIVE",
		"the brief lock is held until commit, through the long statement"},
	{RuleDropColumn, "break", SeverityWarning, "ALTER TABLE ... DROP COLUMN", "ACCESS EXCLUSIVE",
		"the release still running may read or write the column"},
	{RuleDropTable, "break", SeverityWarning, "DROP TABLE", "ACCESS EXCLUSIVE",
		"the release still running may use the table"},
	{RuleRenameColumn, "break", SeverityWarning, "ALTER TABLE ... RENAME COLUMN", "ACCESS EXCLUSIVE",
		"the release still running uses the old name"},
	{RuleRenameTable, "break", SeverityWarning, "ALTER TABLE ... RENAME TO", "ACCESS EXCLUSIVE",
		"the release still running uses the old name"},
	{RuleRenameEnumValue, "break", SeverityWarning, "ALTER TYPE ... RENAME VALUE", "no table lock",
		"the release still running writes the old value"},
	{RuleMissingLockTimeout, "timeout", SeverityWarning, "ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on an existing table with no lock timeout", "the statement's",
		"waiting behind a long transaction, the statement blocks every query that comes after it"},
	{RuleUnusedIgnore, "lint", SeverityWarning, "a '-- pgmig lint-ignore' that suppressed nothing", "none",
		"a stale or misspelt suppression hides nothing and misleads reviewers"},
	{RuleParseError, "lint", SeverityWarning, "a statement PostgreSQL's parser rejects", "none",
		"lint cannot check it; the parser is PostgreSQL 17's, so a newer server may still accept it"},
	{RuleNewerSyntax, "lint", SeverityError, "PostgreSQL 18 syntax (NOT NULL col NOT VALID, NOT ENFORCED, VIRTUAL) for an older server", "none",
		"the server rejects the statement, so the migration fails"},
}

// Rules returns every rule, in a stable order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// ruleByID returns the rule with the id, if there is one.
func ruleByID(id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
