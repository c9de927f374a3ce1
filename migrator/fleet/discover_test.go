package fleet_test

import (
	"errors"
	"testing"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/fleet"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func errorsIsLockTimeout(err error) bool { return errors.Is(err, migrator.ErrLockTimeout) }

// EachDatabase finds the databases matching a LIKE pattern, leaving out
// templates and the database it lists from; each target keeps the other
// settings.
func TestEachDatabase(t *testing.T) {
	ctx := testCtx(t)
	a, b, tmpl := migratortest.NewDatabase(t), migratortest.NewDatabase(t), migratortest.NewDatabase(t)
	admin := openAdmin(t, a)
	// Rename them under a prefix of this test's own.
	names := []string{"fleet_each_a", "fleet_each_b", "fleet_each_tmpl"}
	for i, d := range []*migratortest.Database{a, b, tmpl} {
		d.DB.Close()
		if _, err := admin.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " RENAME TO " + names[i]); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS " + names[i]) })
		t.Cleanup(func() { admin.Exec("ALTER DATABASE " + names[i] + " WITH is_template false") })
	}
	if _, err := admin.Exec("ALTER DATABASE fleet_each_tmpl WITH is_template true"); err != nil {
		t.Fatal(err)
	}
	base := target(t, a.DSNFor("fleet_each_a")+" application_name=fleet-each")
	targets, err := fleet.EachDatabase(ctx, base.Config, "fleet\\_each\\_%")
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].Config.Database != "fleet_each_b" {
		t.Fatalf("EachDatabase listed %v, want fleet_each_b alone", targets)
	}
	if got := targets[0].Config.ApplicationName; got != "fleet-each" {
		t.Errorf("target lost the other settings: application_name %q", got)
	}
	var ce *migrator.ConnectError
	if _, err := fleet.EachDatabase(ctx, target(t, "host=127.0.0.1 port=1 sslmode=disable").Config, "%"); !errors.As(err, &ce) {
		t.Errorf("unreachable server: got %v, want a *ConnectError", err)
	}
}
