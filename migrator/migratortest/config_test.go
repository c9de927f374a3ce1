package migratortest_test

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// connectAs opens a new session as role on database postgres of c over
// TCP and closes it, returning the error of the attempt.
func connectAs(c *migratortest.Cluster, role string) error {
	db, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=postgres sslmode=disable", c.Port(), role))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Ping()
}

// checkServerFile checks that name in the data directory of c has mode
// perm and the owner of the data directory.
func checkServerFile(t *testing.T, c *migratortest.Cluster, name string, perm os.FileMode) {
	t.Helper()
	dataFi, err := os.Stat(c.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(c.DataDir(), filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("written file: %v", err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), perm)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		dst := dataFi.Sys().(*syscall.Stat_t)
		if st.Uid != dst.Uid || st.Gid != dst.Gid {
			t.Errorf("%s belongs to %d:%d, the data directory to %d:%d", name, st.Uid, st.Gid, dst.Uid, dst.Gid)
		}
	}
}

func TestWriteFileAndReload(t *testing.T) {
	t.Parallel()
	// max_connections on the command line differs from postgresql.conf's:
	// no reload error for it.
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{Settings: map[string]string{"max_connections": "30"}})
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE ROLE app LOGIN"); err != nil {
		t.Fatal(err)
	}
	if err := connectAs(c, "app"); err != nil {
		t.Fatalf("app cannot connect under the harness's pg_hba.conf: %v", err)
	}
	hbaPath := filepath.Join(c.DataDir(), "pg_hba.conf")
	origHBA, err := os.ReadFile(hbaPath)
	if err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(c.DataDir(), "postgresql.conf")
	origConf, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pg_hba.conf takes effect after Reload", func(t *testing.T) {
		hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all app 127.0.0.1/32 reject\n"
		if err := c.WriteFile("pg_hba.conf", []byte(hba), 0o600); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		checkServerFile(t, c, "pg_hba.conf", 0o600)
		if err := c.Reload(); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if err := connectAs(c, "app"); err == nil || !strings.Contains(err.Error(), "pg_hba.conf rejects connection") {
			t.Fatalf("app connects after Reload: %v", err)
		}
		if err := c.WriteFile("pg_hba.conf", origHBA, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := c.Reload(); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if err := connectAs(c, "app"); err != nil {
			t.Fatalf("app cannot connect after the old pg_hba.conf was reloaded: %v", err)
		}
	})

	t.Run("include directory", func(t *testing.T) {
		if err := c.WriteFile("conf.d/work_mem.conf", []byte("work_mem = '7MB'\n"), 0o644); err != nil {
			t.Fatalf("WriteFile in a new directory: %v", err)
		}
		checkServerFile(t, c, "conf.d/work_mem.conf", 0o644)
		checkServerFile(t, c, "conf.d", 0o700)
		conf := string(origConf) + "\ninclude_dir 'conf.d'\n"
		if err := c.WriteFile("postgresql.conf", []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := c.Reload(); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if got := show(t, admin, "work_mem"); got != "7MB" {
			t.Errorf("work_mem = %s after Reload, want 7MB from conf.d", got)
		}
		// A restart reads the files too.
		if err := c.WriteFile("conf.d/work_mem.conf", []byte("work_mem = '9MB'\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.Restart("fast"); err != nil {
			t.Fatal(err)
		}
		if got := show(t, admin, "work_mem"); got != "9MB" {
			t.Errorf("work_mem = %s after Restart, want 9MB from conf.d", got)
		}
	})

	t.Run("Reload reports errors", func(t *testing.T) {
		for _, tc := range []struct{ file, text, want string }{
			{"postgresql.conf", string(origConf) + "\nthis is not a setting !!\n", "syntax error"},
			{"postgresql.conf", string(origConf) + "\nwork_mem = 'bogus'\n", "work_mem: setting could not be applied"},
			{"postgresql.conf", string(origConf) + "\nshared_buffers = '17MB'\n", "shared_buffers: setting could not be applied"},
			{"pg_hba.conf", string(origHBA) + "\nhost all all 127.0.0.1/32 bogus-method\n", `pg_hba.conf:`},
		} {
			if err := c.WriteFile(tc.file, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			err := c.Reload()
			t.Logf("Reload with a broken %s: %v", tc.file, err)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("Reload with a broken %s: %v, want an error naming the file and %q", tc.file, err, tc.want)
			}
			orig := origConf
			if tc.file == "pg_hba.conf" {
				orig = origHBA
			}
			if err := c.WriteFile(tc.file, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := c.Reload(); err != nil {
				t.Fatalf("Reload after restoring %s: %v", tc.file, err)
			}
		}
	})

	t.Run("names outside the data directory", func(t *testing.T) {
		for _, name := range []string{"../escape", "/etc/passwd", "", "conf.d/../../x"} {
			if err := c.WriteFile(name, []byte("x"), 0o600); err == nil {
				t.Errorf("WriteFile(%q) succeeded", name)
			}
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(c.DataDir()), "escape")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a file was written outside the data directory: %v", err)
		}
	})

	if err := c.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Error("Reload of a stopped cluster succeeded")
	}
}
