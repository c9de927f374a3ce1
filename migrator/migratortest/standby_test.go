package migratortest_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// inRecovery returns pg_is_in_recovery() of db.
func inRecovery(t *testing.T, db *sql.DB) bool {
	t.Helper()
	var r bool
	if err := db.QueryRow("SELECT pg_is_in_recovery()").Scan(&r); err != nil {
		t.Fatalf("query pg_is_in_recovery: %v", err)
	}
	return r
}

// catchUp waits until standby has replayed what primary wrote.
func catchUp(t *testing.T, standby *migratortest.Cluster, primary *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := standby.WaitCaughtUp(ctx, primary); err != nil {
		t.Fatal(err)
	}
}

func TestStandby(t *testing.T) {
	t.Parallel()
	primary := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	standby := primary.StartStandby(t)
	if standby.Port() == primary.Port() || standby.DataDir() == primary.DataDir() {
		t.Fatalf("standby shares port %d or data directory %s with the primary", standby.Port(), standby.DataDir())
	}
	pdb := openDB(t, primary.DSN("postgres"))
	sdb := openDB(t, standby.DSN("postgres"))

	if inRecovery(t, pdb) {
		t.Error("primary is in recovery")
	}
	if !inRecovery(t, sdb) {
		t.Fatal("standby is not in recovery")
	}
	_, err := sdb.Exec("CREATE TABLE on_standby (v int)")
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "25006" {
		t.Errorf("CREATE TABLE on the standby: %v, want SQLSTATE 25006 (read_only_sql_transaction)", err)
	}

	if _, err := pdb.Exec("CREATE TABLE replicated (v text); INSERT INTO replicated VALUES ('from primary')"); err != nil {
		t.Fatal(err)
	}
	catchUp(t, standby, pdb)
	var v string
	if err := sdb.QueryRow("SELECT v FROM replicated").Scan(&v); err != nil {
		t.Fatalf("read replicated table on the standby: %v", err)
	}
	if v != "from primary" {
		t.Errorf("standby row = %q", v)
	}

	// A database created on the primary can be connected to on the standby.
	if _, err := pdb.Exec("CREATE DATABASE made_on_primary"); err != nil {
		t.Fatal(err)
	}
	catchUp(t, standby, pdb)
	other := openDB(t, standby.DSN("made_on_primary"))
	var name string
	if err := other.QueryRow("SELECT current_database()").Scan(&name); err != nil || name != "made_on_primary" {
		t.Errorf("database made on the primary, on the standby: %q, %v", name, err)
	}
	other.Close()

	// The primary is no standby.
	if err := primary.WaitCaughtUp(context.Background(), pdb); err == nil {
		t.Error("WaitCaughtUp on the primary succeeded")
	}
}

func TestStandbyRestartsAsStandby(t *testing.T) {
	t.Parallel()
	primary := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	standby := primary.StartStandby(t)
	pdb := openDB(t, primary.DSN("postgres"))
	if err := standby.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	// Written while the standby is down, replayed once it is back.
	if _, err := pdb.Exec("CREATE TABLE while_down AS SELECT 7 AS v"); err != nil {
		t.Fatal(err)
	}
	if err := standby.Start(); err != nil {
		t.Fatal(err)
	}
	sdb := openDB(t, standby.DSN("postgres"))
	if !inRecovery(t, sdb) {
		t.Fatal("restarted standby is not in recovery")
	}
	catchUp(t, standby, pdb)
	var v int
	if err := sdb.QueryRow("SELECT v FROM while_down").Scan(&v); err != nil || v != 7 {
		t.Errorf("row written while the standby was down: %d, %v", v, err)
	}
}
