// Package migratortest gives tests their own fresh PostgreSQL databases on a
// real server. It never mocks PostgreSQL.
//
// The server comes from the environment variable PGMIG_TEST_DATABASE_URL
// (a URL or a lib/pq key=value DSN) when it is set. Otherwise one throwaway
// cluster is started per test process on first use: initdb and postgres are
// looked up in the directory named by PGMIG_PG_BINDIR, then on PATH, then in
// the highest-numbered /usr/lib/postgresql/*/bin. When the tests run as root,
// the server runs as the OS user postgres (or nobody if there is none).
//
// A package using it stops the throwaway cluster with
//
//	func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }
//
// and each test asks for its own database with
//
//	db := migratortest.NewDatabase(t)
//
// When no PostgreSQL can be found the tests are skipped, unless the
// environment variable CI is non-empty: then they fail.
//
// A test that must crash, restart or reconfigure the server starts a
// cluster of its own with StartCluster and changes it with Stop, Start,
// Restart, WriteFile (pg_hba.conf, TLS keys, configuration includes) and
// Reload. NewCluster starts one without a testing.TB, for programs such as
// benchmark drivers, which Close it themselves.
//
// migratortest does not import migrator, so that migrator's own tests can
// use it: pass migrator.LockKey to HoldLock. A database with a folder of
// migrations already applied, cloned from a template built once per set of
// files, comes from the sub-package migrated (migrated.NewDatabase), which
// imports migrator and builds on Server.NewDatabaseWith.
package migratortest
