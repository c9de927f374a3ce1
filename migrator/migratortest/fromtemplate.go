package migratortest

import (
	"context"
	"database/sql"
	"testing"
)

// NewDatabaseWith is NewDatabase with the creation left to create, which
// gets the unique name and must create that database on s (for example
// CREATE DATABASE name TEMPLATE some_template). The database is dropped in
// t.Cleanup as NewDatabase's are. Helpers that make migrated databases
// (package migratortest/migrated) build on it: migratortest itself never
// imports pgmig's migrator.
func (s *Server) NewDatabaseWith(t testing.TB, create func(ctx context.Context, name string) error) *Database {
	t.Helper()
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	d := &Database{Name: name, DSN: s.DSN(name), server: s}
	// Registered first: a create that fails half-way leaves nothing.
	t.Cleanup(func() {
		if d.DB != nil {
			if err := d.DB.Close(); err != nil {
				t.Errorf("migratortest: close database %s: %v", name, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Errorf("migratortest: %v", err)
		}
	})
	if err := create(ctx, name); err != nil {
		t.Fatalf("migratortest: create database %s: %v", name, err)
	}
	db, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatalf("migratortest: open database %s: %v", name, err)
	}
	d.DB = db
	return d
}
