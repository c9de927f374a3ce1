package migratortest

import (
	"os"
	"strings"
	"testing"
)

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
