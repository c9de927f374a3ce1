package migratortest

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"
)

// TestStandbyWithoutBasebackup takes the base backup with the backup
// functions and a file copy, the way used when no pg_basebackup fits (the
// npm server builds of .ci/pg-binaries have none).
func TestStandbyWithoutBasebackup(t *testing.T) {
	t.Parallel()
	primary := StartCluster(t, ClusterOptions{})
	pdb, err := sql.Open("postgres", primary.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	// Data written before the backup, and during it by nobody: the copy
	// must still hold it.
	if _, err := pdb.Exec("CREATE TABLE before_backup AS SELECT generate_series(1, 1000) AS n"); err != nil {
		t.Fatal(err)
	}
	standby, err := newStandby(primary, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := standby.Close(); err != nil {
			t.Error(err)
		}
	})
	sdb, err := sql.Open("postgres", standby.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var sum int
	if err := sdb.QueryRow("SELECT sum(n) FROM before_backup").Scan(&sum); err != nil || sum != 500500 {
		t.Errorf("table copied by the backup: sum %d, %v", sum, err)
	}
	if _, err := pdb.Exec("CREATE TABLE after_backup AS SELECT 'streamed'::text AS v"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := standby.WaitCaughtUp(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := sdb.QueryRow("SELECT v FROM after_backup").Scan(&v); err != nil || v != "streamed" {
		t.Errorf("table streamed after the backup: %q, %v", v, err)
	}
}

func TestFindBasebackupMatchesVersion(t *testing.T) {
	bins, err := findBinaries("")
	if err != nil {
		t.Skipf("no postgresql binaries here: %v", err)
	}
	if got := findBasebackup(bins, 1000); got != "" {
		t.Errorf("pg_basebackup %s accepted for PostgreSQL 1000", got)
	}
	got := findBasebackup(bins, 1)
	if got == "" {
		t.Skip("no pg_basebackup here")
	}
	if _, err := programMajor(got); err != nil {
		t.Errorf("found %s: %v", got, err)
	}
}

func TestPgBouncerConfig(t *testing.T) {
	ini, err := pgbouncerConfig(PgBouncerTarget{Port: 5433, User: "alice"},
		PgBouncerOptions{PoolMode: PoolModeTransaction, DefaultPoolSize: 1, Settings: map[string]string{"max_client_conn": "7"}},
		6000, "/x/userlist.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[databases]\n* = host=127.0.0.1 port=5433\n",
		"listen_addr = 127.0.0.1\n", "listen_port = 6000\n", "unix_socket_dir = \n",
		"auth_type = trust\n", "auth_file = /x/userlist.txt\n", "admin_users = alice\n",
		"pool_mode = transaction\n", "default_pool_size = 1\n", "server_tls_sslmode = disable\n",
		"ignore_startup_parameters = extra_float_digits\n",
	} {
		if !strings.Contains(ini, want) {
			t.Errorf("pgbouncer.ini lacks %q:\n%s", want, ini)
		}
	}
	// Settings come last, so that they win.
	if i, j := strings.Index(ini, "max_client_conn = 500"), strings.Index(ini, "max_client_conn = 7"); i < 0 || j < i {
		t.Errorf("Settings do not follow the defaults:\n%s", ini)
	}
	if _, err := pgbouncerConfig(PgBouncerTarget{}, PgBouncerOptions{PoolMode: "statement"}, 6000, "/x"); err == nil {
		t.Error("pool mode statement accepted")
	}
}

func TestServerPgBouncerTarget(t *testing.T) {
	// The DSNs say everything; no PG* variable of the caller may add to them.
	for _, name := range []string{"PGHOSTADDR", "PGSERVICE", "PGSERVICEFILE", "PGSSLROOTCERT"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	s := &Server{base: "host=db.example port=6543 user=alice password='se cret' sslmode=verify-full dbname=app"}
	got, err := s.PgBouncerTarget()
	if err != nil {
		t.Fatal(err)
	}
	want := PgBouncerTarget{Host: "db.example", Port: 6543, User: "alice", Password: "se cret", SSLMode: "require", Database: "app"}
	if got != want {
		t.Errorf("target = %+v, want %+v", got, want)
	}
	s = &Server{base: "host=127.0.0.1 port=7000 user=postgres sslmode=disable"}
	if got, err := s.PgBouncerTarget(); err != nil || got.SSLMode != "disable" || got.Port != 7000 {
		t.Errorf("target = %+v, %v", got, err)
	}
}
