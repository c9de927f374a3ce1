package devdb_test

import (
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator/devdb"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// TestTargetSearchPath: the migrations of a target whose search path puts
// unqualified names in another schema (ALTER DATABASE ... SET search_path,
// a role setting or the connection's options) build the same objects in
// the dev database, and so does the tracking table.
func TestTargetSearchPath(t *testing.T) {
	target := migratortest.NewDatabase(t)
	if _, err := target.DB.Exec("CREATE SCHEMA ops; ALTER DATABASE " + target.Name + " SET search_path = ops, public"); err != nil {
		t.Fatal(err)
	}
	target.DB.SetMaxIdleConns(0) // new sessions get the database's setting
	d := open(t, devdb.Options{Connect: sharedConnect(t), Target: target.DB, Setup: "CREATE SCHEMA ops;"})
	fsys := fstest.MapFS{"1_users.sql": {Data: []byte("CREATE TABLE users (id int);\n")}}
	if _, err := d.Build(testContext(t), fsys, 0); err != nil {
		t.Fatal(err)
	}
	var schemas []string
	rows, err := d.DB().Query("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('users', 'migrations') ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	if len(schemas) != 2 || schemas[0] != "ops.migrations" || schemas[1] != "ops.users" {
		t.Errorf("tables built in %v, want ops.migrations and ops.users as on the target", schemas)
	}
}
