// Package fleet runs pgmig's migrations over many targets at once: a list
// of databases (a targets file, or every database of a server whose name
// matches a pattern), or every tenant schema of one database.
//
// The migration files are read and checked once ([migrator.ReadFiles]) and
// shared by every target. [Run] works on Runner.Parallel targets at a time,
// each through one connection that is closed when the target ends, and
// returns one [Result] per target: a failing target does not stop the
// others unless Runner.FailFast or Runner.Canary says so.
//
// Locks are per target. A whole database keeps postgres-migrations' lock
// key ([migrator.LockKey]). A tenant schema has a tracking table of its own,
// schema.migrations, and a lock key of its own derived from it
// ([SchemaLockKey]), so tenants of one database run in parallel while two
// runs on the same tenant still take turns.
package fleet
