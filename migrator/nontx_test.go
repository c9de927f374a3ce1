package migrator

import (
	"testing"

	"github.com/pgmig/pgmig/migrator/internal/sqlscan"
)

func TestNotInTransaction(t *testing.T) {
	tests := map[string]string{
		"vacuum analyze t":                             "VACUUM",
		"create index concurrently i on t (a)":         "CREATE INDEX CONCURRENTLY",
		`CREATE UNIQUE INDEX CONCURRENTLY "i" ON t(a)`: "CREATE INDEX CONCURRENTLY",
		"create index i on t (a)":                      "",
		"create index concurrently_named on t (a)":     "",
		"drop index concurrently if exists i":          "DROP INDEX CONCURRENTLY",
		"reindex (verbose) table concurrently t":       "REINDEX CONCURRENTLY",
		"reindex table t":                              "",
		"reindex database app":                         "REINDEX DATABASE/SYSTEM",
		"create database x":                            "CREATE DATABASE",
		"drop database x":                              "DROP DATABASE",
		"alter system set work_mem = '1MB'":            "ALTER SYSTEM",
		"create tablespace ts location '/x'":           "CREATE TABLESPACE",
		"alter table t add column vacuum int":          "",
		"select 'vacuum'":                              "",
	}
	for src, want := range tests {
		stmts, err := sqlscan.Split(src)
		if err != nil || len(stmts) != 1 {
			t.Fatalf("Split(%q) = %v, %v", src, stmts, err)
		}
		if got := notInTransaction(sqlscan.Words(stmts[0], statementWords)); got != want {
			t.Errorf("notInTransaction(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestAddsEnumValue(t *testing.T) {
	for src, want := range map[string]bool{
		"ALTER TYPE mood ADD VALUE 'x'":                     true,
		`alter type "s"."mood" add value if not exists 'x'`: true,
		"ALTER TYPE s.mood ADD VALUE 'x' BEFORE 'y'":        true,
		"ALTER TYPE mood RENAME VALUE 'a' TO 'b'":           false,
		"ALTER TABLE t ADD VALUE int":                       false,
	} {
		stmts, _ := sqlscan.Split(src)
		if got := addsEnumValue(sqlscan.Words(stmts[0], statementWords)); got != want {
			t.Errorf("addsEnumValue(%q) = %v, want %v", src, got, want)
		}
	}
}
