package migrator_test

import (
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// A run with nothing to write skips the second connection that checks the
// lock's session is not shared (its unlock tells a pooler apart); a run
// that writes takes it.
func TestNoopUsesOneConnection(t *testing.T) {
	d := migratortest.NewDatabase(t)
	fsys := migratortest.GenerateMigrations(3)
	mustApply(t, d.DB, fsys)
	if n := d.DB.Stats().OpenConnections; n != 2 {
		t.Fatalf("a run that applied migrations opened %d connections, want 2 (the lock's and the check's)", n)
	}
	d.DB.SetMaxIdleConns(0) // forget them
	d.DB.SetMaxIdleConns(2)
	res := mustApply(t, d.DB, fsys)
	if len(res.Applied) != 0 || res.AlreadyApplied != 3 {
		t.Fatalf("rerun applied %d, already %d", len(res.Applied), res.AlreadyApplied)
	}
	if n := d.DB.Stats().OpenConnections; n != 1 {
		t.Fatalf("a no-op run opened %d connections, want 1", n)
	}
}
