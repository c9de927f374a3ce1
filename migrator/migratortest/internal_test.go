package migratortest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lib/pq"
)

func TestNoPostgresSkipsOutsideCI(t *testing.T) {
	err := fmt.Errorf("find binaries: %w", ErrNoPostgres)
	t.Setenv("CI", "")
	if !skippable(err) {
		t.Error("missing postgresql does not skip outside CI")
	}
	t.Setenv("CI", "true")
	if skippable(err) {
		t.Error("missing postgresql skips under CI")
	}
	if skippable(errors.New("initdb: exit status 1")) {
		t.Error("a broken server skips")
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^pgmig_test_([a-z0-9]+(_[a-z0-9]+)*_)?[0-9a-f]{8}$`)
	for _, tc := range []struct{ test, prefix string }{
		{"TestFoo", "pgmig_test_testfoo_"},
		{"TestFoo/sub_Case#01", "pgmig_test_testfoo_sub_case_01_"},
		{"Test  Weird--Name/", "pgmig_test_test_weird_name_"},
		{"///", "pgmig_test_"},
		{strings.Repeat("TestVeryLongName", 10), "pgmig_test_testverylongname"},
	} {
		got := databaseName(tc.test)
		if len(got) > maxIdentifier || !valid.MatchString(got) || !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("databaseName(%q) = %q", tc.test, got)
		}
	}
	if databaseName("TestFoo") == databaseName("TestFoo") {
		t.Error("two names for the same test are equal")
	}
}

func TestKeyValueDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"host=db user=me", "host=db user=me"},
		{"postgres://me:p%27w@db.example:6543/app?sslmode=disable",
			`user=me password='p\'w' host=db.example port=6543 dbname=app sslmode=disable`},
		{"postgresql://[::1]/x", `host=::1 dbname=x`},
		{"postgres://a%20b@h/", `user='a b' host=h`},
	} {
		got, err := keyValueDSN(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("keyValueDSN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := keyValueDSN("postgres://h/db?sslmode=bogus"); err == nil {
		t.Error("invalid DSN accepted")
	}
	// Appended keys override: that is how per-database DSNs are made.
	kv, err := keyValueDSN("postgres://me@db/app")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pq.NewConfig(kv + " dbname=" + quoteDSNValue("it's"))
	if err != nil || cfg.Database != "it's" || cfg.User != "me" {
		t.Errorf("override dbname: %+v %v", cfg.Database, err)
	}
}

// TestOpenServerURL uses the external-server path (PGMIG_TEST_DATABASE_URL)
// against the shared server, given as a URL.
func TestOpenServerURL(t *testing.T) {
	shared := Shared(t)
	cfg, err := pq.NewConfig(shared.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	pw := ""
	if cfg.Password != "" {
		pw = ":" + cfg.Password
	}
	url := "postgres://" + cfg.User + pw + "@" + cfg.Host + ":" + strconv.Itoa(int(cfg.Port)) + "/" + cfg.Database + "?sslmode=" + string(cfg.SSLMode)
	srv, err := OpenServer(url)
	if err != nil {
		t.Fatalf("OpenServer(%s): %v", url, err)
	}
	defer srv.Close()
	if srv.Version(t) != shared.Version(t) {
		t.Errorf("versions differ")
	}
	var name string
	t.Run("db", func(t *testing.T) {
		d := srv.NewDatabase(t)
		name = d.Name
		var current string
		if err := d.DB.QueryRow("SELECT current_database()").Scan(&current); err != nil || current != d.Name {
			t.Fatalf("current_database = %q, %v; want %s", current, err, d.Name)
		}
	})
	var exists bool
	if err := srv.admin.QueryRow("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		t.Errorf("database %s left behind (exists=%v, err=%v)", name, exists, err)
	}
}

// TestDropDatabaseTerminating runs the drop that DropDatabase uses before
// PostgreSQL 13 on whatever server there is, with sessions connected and
// one reconnecting all the time.
func TestDropDatabaseTerminating(t *testing.T) {
	t.Parallel()
	srv := Shared(t)
	d := srv.NewDatabase(t)
	busy, err := sql.Open("postgres", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tx, err := busy.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec("CREATE TABLE busy (x int)"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // reconnects until the database is gone
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			db, err := sql.Open("postgres", d.DSN)
			if err == nil {
				err = db.Ping()
				db.Close()
			}
			if err != nil && strings.Contains(err.Error(), "does not exist") {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if err := srv.dropDatabaseTerminating(ctx, d.Name); err != nil {
		t.Fatalf("drop with terminate: %v", err)
	}
	var exists bool
	if err := srv.admin.QueryRow("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", d.Name).Scan(&exists); err != nil || exists {
		t.Fatalf("database still exists (%v, %v)", exists, err)
	}
}
