// Package pgcluster starts private throwaway PostgreSQL clusters from the
// server binaries installed on the machine: initdb into a temporary
// directory, a server on a free port of 127.0.0.1 with trust
// authentication for the superuser postgres, and Close to stop it and
// remove every file. Tools use it for a scratch server (pgmig's dev
// database), tests for a server they may crash, restart, reconfigure
// (WriteFile, Reload) or replicate (StartStandby).
//
// The binaries are looked up in Options.BinDir, else in the directory named
// by PGMIG_PG_BINDIR, else on PATH, in /usr/lib/postgresql/*/bin and in
// /var/tmp/pgmig-pg/*/native/bin, preferring Options.PreferMajor when
// several versions are installed. When the process runs as root, the
// server runs as the OS user postgres (or nobody if there is none).
//
// The package logs nothing and does not import testing; migratortest wraps
// it for tests.
package pgcluster
