package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator/migratortest"
	"github.com/pgmig/pgmig/migrator/templatedb"
)

// Three clone processes at once build the template once and each make a
// migrated database; a name in use and bad files are refused.
func TestClone(t *testing.T) {
	dir := writeMigrations(t, fleetMigrations)
	srv := migratortest.Shared(t)
	b := make([]byte, 4)
	rand.Read(b)
	family := "c" + hex.EncodeToString(b)
	cfg, err := pq.NewConfig(srv.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := templatedb.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	var names []string
	var procs []*proc
	for i := range 3 {
		name := "pgmig_test_clone_" + family + "_" + string(rune('a'+i))
		names = append(names, name)
		srv.DropDatabaseLater(t, name)
		procs = append(procs, startPgmig(t, "clone", "--url", srv.DSN("postgres"), "--family", family, "--json", dir, name))
	}
	var tmplName string
	t.Cleanup(func() {
		if tmplName != "" {
			if err := ts.Drop(context.Background(), tmplName); err != nil {
				t.Error(err)
			}
		}
	})
	built := 0
	for i, p := range procs {
		if code := p.wait(t); code != exitOK {
			t.Fatalf("clone %d: exit %d\n%s", i, code, p.stderr.String())
		}
		var doc struct {
			Template string `json:"template"`
			Built    bool   `json:"built"`
		}
		if err := json.Unmarshal(p.stdout.Bytes(), &doc); err != nil {
			t.Fatalf("clone %d: %v\n%s", i, err, p.stdout.String())
		}
		tmplName = doc.Template
		if doc.Built {
			built++
		}
	}
	if built != 1 {
		t.Fatalf("%d of 3 clones built the template, want 1", built)
	}
	for _, name := range names {
		db := openDB(t, srv.DSN(name))
		if !relationExists(t, db, "orders") {
			t.Errorf("%s lacks the migrated tables", name)
		}
	}

	if code, _, _ := pgmig(t, "clone", "--url", srv.DSN("postgres"), "--family", family, dir, names[0]); code != exitSQL {
		t.Errorf("clone onto an existing database: exit %d, want %d", code, exitSQL)
	}
	bad := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;", "3_c.sql": "SELECT 3;"})
	if code, _, _ := pgmig(t, "clone", "--url", "postgres://nobody@127.0.0.1:1/x", bad, "never"); code != exitInvalidFiles {
		t.Errorf("clone of bad files: exit %d, want %d", code, exitInvalidFiles)
	}
}

// openDB opens dsn until the test ends.
func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
