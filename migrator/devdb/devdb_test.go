package devdb_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestBuildUpToThenAll(t *testing.T) {
	d := open(t, devdb.Options{Connect: sharedConnect(t)})
	ctx := testContext(t)
	res, err := d.Build(ctx, migrations, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 2 {
		t.Errorf("applied %d migrations up to 2, want 2", len(res.Applied))
	}
	if got := strings.Join(tables(t, d.DB()), " "); got != "migrations orders users" {
		t.Errorf("tables after building up to 2: %s", got)
	}
	if _, err := d.Build(ctx, migrations, 0); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tables(t, d.DB()), " "); got != "items migrations orders users" {
		t.Errorf("tables after building all: %s", got)
	}
	if d.Server().Throwaway || d.Server().Major < 12 || d.DSN() != "" {
		t.Errorf("server of a Connect: %+v, DSN %q", d.Server(), d.DSN())
	}
}

func TestCloseDropsScratchDatabase(t *testing.T) {
	connect := sharedConnect(t)
	d, err := devdb.Open(testContext(t), devdb.Options{Connect: connect})
	if err != nil {
		t.Fatal(err)
	}
	name := d.Name()
	if !strings.HasPrefix(name, "pgmig_dev_") {
		t.Errorf("scratch database %q", name)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	maint, err := connect("")
	if err != nil {
		t.Fatal(err)
	}
	defer maint.Close()
	var n int
	if err := maint.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 0 {
		t.Errorf("scratch database %s left behind (%d, %v)", name, n, err)
	}
}

func TestRefusesTargetDatabase(t *testing.T) {
	target := migratortest.NewDatabase(t)
	same := func(dbname string) (*sql.DB, error) {
		if dbname == "" {
			dbname = target.Name
		}
		return sql.Open("postgres", target.DSNFor(dbname))
	}
	_, err := devdb.Open(testContext(t), devdb.Options{Connect: same, Target: target.DB})
	if !errors.Is(err, devdb.ErrTargetDatabase) {
		t.Fatalf("Open on the target database: %v, want ErrTargetDatabase", err)
	}
	// Another database of the same server is fine.
	d := open(t, devdb.Options{Connect: sharedConnect(t), Target: target.DB})
	if d.Name() == target.Name {
		t.Fatal("scratch database is the target")
	}
}

func TestThrowawayClusterPrefersTargetMajor(t *testing.T) {
	target := migratortest.NewDatabase(t)
	var num int
	if err := target.DB.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGMIG_PG_BINDIR", "")
	d := open(t, devdb.Options{Target: target.DB})
	srv := d.Server()
	if !srv.Throwaway || srv.BinDir == "" || d.DSN() == "" {
		t.Errorf("throwaway server: %+v, DSN %q", srv, d.DSN())
	}
	if srv.Major != num/10000 {
		// Only when the target's version is installed can it be chosen.
		if _, err := os.Stat(fmt.Sprintf("/var/tmp/pgmig-pg/%d/native/bin/postgres", num/10000)); err == nil {
			t.Errorf("dev cluster on PostgreSQL %d, target on %d", srv.Major, num/10000)
		}
	}
	if _, err := d.Build(testContext(t), migrations, 0); err != nil {
		t.Fatal(err)
	}
	if got := len(tables(t, d.DB())); got != 4 {
		t.Errorf("%d tables built on the throwaway cluster, want 4", got)
	}
}

func TestMissingRoleAndSetup(t *testing.T) {
	grants := fstest.MapFS{
		"1_t.sql":     {Data: []byte("CREATE TABLE t (id int);\n")},
		"2_grant.sql": {Data: []byte("GRANT SELECT ON t TO app_reader;\n")},
	}
	// A throwaway cluster: roles are global, and this test creates one.
	d := open(t, devdb.Options{PreferMajor: 15})
	_, err := d.Build(testContext(t), grants, 0)
	var mr *devdb.MissingRoleError
	if !errors.As(err, &mr) || mr.Role != "app_reader" {
		t.Fatalf("Build naming a missing role: %v, want *MissingRoleError for app_reader", err)
	}
	var me *migrator.MigrationError
	if !errors.As(err, &me) || me.Migration.ID != 2 {
		t.Errorf("MissingRoleError does not wrap the failing migration: %v", err)
	}

	d = open(t, devdb.Options{PreferMajor: 15, Setup: "CREATE ROLE app_reader;", SetupName: "setup.sql"})
	if _, err := d.Build(testContext(t), grants, 0); err != nil {
		t.Fatalf("Build after a setup creating the role: %v", err)
	}
}

func TestSetupErrors(t *testing.T) {
	_, err := devdb.Open(testContext(t), devdb.Options{Connect: sharedConnect(t), Setup: "CREATE TABLE broken (", SetupName: "setup.sql"})
	var se *devdb.SetupError
	if !errors.As(err, &se) || se.Name != "setup.sql" || !strings.Contains(err.Error(), "setup.sql") {
		t.Fatalf("broken setup: %v, want *SetupError naming setup.sql", err)
	}
	_, err = devdb.Open(testContext(t), devdb.Options{Connect: sharedConnect(t), Setup: "GRANT CONNECT ON DATABASE postgres TO no_such_role_pgmig;"})
	var mr *devdb.MissingRoleError
	if !errors.As(err, &mr) || mr.Role != "no_such_role_pgmig" || !errors.As(err, &se) {
		t.Fatalf("setup naming a missing role: %v, want *MissingRoleError wrapping *SetupError", err)
	}
}

func TestBuildErrorNamesServer(t *testing.T) {
	d := open(t, devdb.Options{Connect: sharedConnect(t)})
	broken := fstest.MapFS{"1_broken.sql": {Data: []byte("SELECT no_such_function();\n")}}
	_, err := d.Build(testContext(t), broken, 0)
	var be *devdb.BuildError
	if !errors.As(err, &be) || be.Server.Version == "" || !strings.Contains(err.Error(), be.Server.Version) {
		t.Fatalf("failing migration: %v, want *BuildError naming the server version", err)
	}
	var me *migrator.MigrationError
	if !errors.As(err, &me) || me.SQLState != "42883" {
		t.Errorf("BuildError does not wrap the MigrationError: %v", err)
	}
}
