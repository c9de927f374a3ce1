package migratortest_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// show returns the value of a server setting.
func show(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatalf("show %s: %v", name, err)
	}
	return v
}

func TestClusterSurvivesImmediateStop(t *testing.T) {
	t.Parallel()
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{
		Durable:  true,
		Settings: map[string]string{"max_connections": "20"},
	})
	if _, err := os.Stat(filepath.Join(c.DataDir(), "PG_VERSION")); err != nil {
		t.Fatalf("data directory: %v", err)
	}
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := show(t, db, "fsync"); got != "on" {
		t.Errorf("durable cluster has fsync=%s", got)
	}
	if got := show(t, db, "max_connections"); got != "20" {
		t.Errorf("max_connections = %s, want 20 from Settings", got)
	}
	if _, err := db.Exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('committed')"); err != nil {
		t.Fatal(err)
	}

	port := c.Port()
	if err := c.Stop("immediate"); err != nil {
		t.Fatalf("immediate stop: %v", err)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("server still answers after an immediate stop")
	}
	if err := c.Stop("fast"); err == nil {
		t.Error("stopping a stopped cluster succeeded")
	}
	if err := c.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if c.Port() != port {
		t.Errorf("port changed from %d to %d", port, c.Port())
	}
	if err := c.Start(); err == nil {
		t.Error("starting a running cluster succeeded")
	}
	var v string
	if err := db.QueryRow("SELECT v FROM kept").Scan(&v); err != nil {
		t.Fatalf("read committed row after crash: %v", err)
	}
	if v != "committed" {
		t.Fatalf("row = %q, want committed", v)
	}
}

func TestClusterStopModes(t *testing.T) {
	t.Parallel()
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"fsync", "full_page_writes", "synchronous_commit"} {
		if got := show(t, db, name); got != "off" {
			t.Errorf("fast cluster has %s=%s, want off", name, got)
		}
	}
	if _, err := db.Exec("CREATE TABLE t (x int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop("sideways"); err == nil {
		t.Error("unknown stop mode accepted")
	}
	if err := c.Stop("fast"); err != nil {
		t.Fatalf("fast stop: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	db.SetMaxIdleConns(0) // smart shutdown waits for idle sessions too
	var x int
	if err := db.QueryRow("SELECT x FROM t").Scan(&x); err != nil || x != 42 {
		t.Fatalf("after fast restart: x=%d err=%v", x, err)
	}
	if err := c.Stop("smart"); err != nil {
		t.Fatalf("smart stop: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}

	// Databases can be made on a private cluster too.
	d := c.Server(t).NewDatabase(t)
	if _, err := d.DB.Exec("CREATE TABLE y (z int)"); err != nil {
		t.Fatal(err)
	}
}

func TestClusterRestartKeepsData(t *testing.T) {
	t.Parallel()
	// Durable: with synchronous_commit=off an immediate stop may lose the
	// last commits.
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{Durable: true})
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	port := c.Port()
	for _, mode := range []string{"fast", "immediate", "smart"} {
		db.SetMaxIdleConns(0) // a smart shutdown waits for idle sessions too
		if err := c.Restart(mode); err != nil {
			t.Fatalf("Restart(%s): %v", mode, err)
		}
		db.SetMaxIdleConns(2)
		var v string
		if err := db.QueryRow("SELECT v FROM kept").Scan(&v); err != nil || v != "before" {
			t.Fatalf("after Restart(%s): v=%q err=%v", mode, v, err)
		}
	}
	if c.Port() != port {
		t.Errorf("port changed from %d to %d", port, c.Port())
	}
	if err := c.Restart("sideways"); err == nil || !strings.Contains(err.Error(), "unknown mode") {
		t.Errorf("Restart with an unknown mode: %v", err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("an unknown mode stopped the cluster: %v", err)
	}
	if err := c.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart("fast"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("Restart of a stopped cluster: %v", err)
	}
	if err := db.Ping(); err == nil {
		t.Error("Restart of a stopped cluster started it")
	}
}

// TestNewClusterWithoutTest uses the constructor that programs use, and
// Close.
func TestNewClusterWithoutTest(t *testing.T) {
	t.Parallel()
	c, err := migratortest.NewCluster(migratortest.ClusterOptions{Durable: true})
	if errors.Is(err, migratortest.ErrNoPostgres) && os.Getenv("CI") == "" {
		t.Skipf("skipping test: %v", err)
	}
	if err != nil {
		t.Fatalf("NewCluster: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = c.Close()
		}
	}()
	for _, prog := range []string{"postgres", "initdb"} {
		if _, err := os.Stat(filepath.Join(c.BinDir(), prog)); err != nil {
			t.Errorf("BinDir %s: %v", c.BinDir(), err)
		}
	}
	if real, err := filepath.EvalSymlinks(c.BinDir()); err != nil || real != c.BinDir() {
		t.Errorf("BinDir %s is not resolved (%s, %v)", c.BinDir(), real, err)
	}
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := show(t, db, "fsync"); got != "on" {
		t.Errorf("durable cluster has fsync=%s", got)
	}

	// The cluster's bin directory, given explicitly, starts a second one.
	other, err := migratortest.NewCluster(migratortest.ClusterOptions{BinDir: c.BinDir()})
	if err != nil {
		t.Fatalf("NewCluster with BinDir %s: %v", c.BinDir(), err)
	}
	if err := other.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	closed = true
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(c.DataDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data directory after Close: %v", err)
	}
	if err := db.Ping(); err == nil {
		t.Error("server still answers after Close")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	bogus := filepath.Join(t.TempDir(), "no-bin")
	_, err = migratortest.NewCluster(migratortest.ClusterOptions{BinDir: bogus})
	if err == nil || !strings.Contains(err.Error(), bogus) || errors.Is(err, migratortest.ErrNoPostgres) {
		t.Errorf("NewCluster with a bogus BinDir: %v, want an error naming it, not ErrNoPostgres", err)
	}
}
