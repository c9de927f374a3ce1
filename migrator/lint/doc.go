// Package lint finds the statements of pending migrations that would hurt
// a busy database while they run: a lock that blocks reads or writes for
// as long as a table rewrite, a validating scan or an index build takes, a
// lock that queues behind a long transaction and blocks every query behind
// it, and changes that break the release still running against the
// database.
//
// Each file is split into statements by pgmig's own splitter (the one
// that decides what apply sends) and each statement is parsed with
// PostgreSQL's own grammar (libpg_query, the PostgreSQL 17 parser). A
// statement the parser rejects is reported and skipped: a newer server
// may accept it. Objects that a migration of the same run created before
// the statement are new: nobody else can be waiting on them, so they get
// no finding. Lock levels are PostgreSQL's (AlterTableGetLockLevel in
// tablecmds.c and the documentation of each command).
//
// [Lint] and [Syntax] read files only. [Measure] runs the migrations in
// a dev database (never the target) and replaces the static lock,
// rewrite and scan of each finding with what PostgreSQL reports. See
// [Rules] for the rules and their ids, and the README for what each one
// teaches.
package lint
