package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFindBinariesHonoursBinDir(t *testing.T) {
	t.Setenv(BinDirEnv, "")
	found, err := findBinaries("", 0)
	if err != nil {
		t.Skipf("no postgresql binaries here: %v", err)
	}
	dir := filepath.Dir(found.postgres)
	t.Setenv(BinDirEnv, dir)
	b, err := findBinaries("", 0)
	if err != nil {
		t.Fatalf("%s=%s: %v", BinDirEnv, dir, err)
	}
	if b.initdb != filepath.Join(dir, "initdb") || b.postgres != filepath.Join(dir, "postgres") {
		t.Errorf("got %+v, want programs in %s", b, dir)
	}

	bogus := filepath.Join(t.TempDir(), "no-such-dir")
	t.Setenv(BinDirEnv, bogus)
	_, err = findBinaries("", 0)
	if err == nil {
		t.Fatal("bogus bin directory accepted")
	}
	if !strings.Contains(err.Error(), BinDirEnv) || !strings.Contains(err.Error(), bogus) || !strings.Contains(err.Error(), "initdb") {
		t.Errorf("error does not name the variable, directory and program: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error does not wrap fs.ErrNotExist: %v", err)
	}
	if errors.Is(err, ErrNoServer) {
		t.Errorf("a misconfigured %s must fail, not skip: %v", BinDirEnv, err)
	}
	if _, err := Start(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), bogus) {
		t.Errorf("Start with bogus %s: %v", BinDirEnv, err)
	}
}

func TestSortByVersionDesc(t *testing.T) {
	dirs := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/x/bin", "/usr/lib/postgresql/13/bin"}
	sortByVersionDesc(dirs)
	want := []string{"/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/13/bin", "/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/x/bin"}
	if strings.Join(dirs, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", dirs, want)
	}
}

func TestNoBinaries(t *testing.T) {
	t.Setenv(BinDirEnv, "")
	t.Setenv("PATH", t.TempDir())
	glob, npm := debianBinGlob, npmBinGlob
	debianBinGlob = filepath.Join(t.TempDir(), "*", "bin")
	npmBinGlob = filepath.Join(t.TempDir(), "*", "native", "bin")
	defer func() { debianBinGlob, npmBinGlob = glob, npm }()
	_, err := findBinaries("", 0)
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("findBinaries without binaries: %v, want ErrNoServer", err)
	}
}

// TestStandbyWithoutBasebackup takes the base backup with the backup
// functions and a file copy, the way used when no pg_basebackup fits (the
// npm server builds of .ci/pg-binaries have none).
func TestStandbyWithoutBasebackup(t *testing.T) {
	t.Parallel()
	primary := startTest(t, Options{})
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
	standby, err := newStandby(context.Background(), primary, "")
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
	bins, err := findBinaries("", 0)
	if err != nil {
		t.Skipf("no postgresql binaries here: %v", err)
	}
	binDir := filepath.Dir(bins.initdb)
	if got := FindClientProgram(binDir, "pg_basebackup", 1000); got != "" {
		t.Errorf("pg_basebackup %s accepted for PostgreSQL 1000", got)
	}
	got := FindClientProgram(binDir, "pg_basebackup", 1)
	if got == "" {
		t.Skip("no pg_basebackup here")
	}
	if _, err := ProgramMajor(got); err != nil {
		t.Errorf("found %s: %v", got, err)
	}
}
