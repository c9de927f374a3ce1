package pgcluster

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq"
)

// installedMajors returns the major versions of the server builds the
// search finds, each once.
func installedMajors(t *testing.T) []int {
	t.Helper()
	t.Setenv(BinDirEnv, "")
	var majors []int
	for _, in := range Installations() {
		majors = append(majors, in.Major)
	}
	if len(majors) == 0 {
		t.Skip("no postgresql binaries here")
	}
	return majors
}

func TestInstallations(t *testing.T) {
	majors := installedMajors(t)
	seen := map[int]bool{}
	for _, in := range Installations() {
		v, err := ProgramMajor(filepath.Join(in.BinDir, "postgres"))
		if err != nil || v != in.Major || seen[v] {
			t.Errorf("installation %+v: postgres --version says %d (%v), or listed twice", in, v, err)
		}
		seen[v] = true
	}
	one := Installations()[len(majors)-1]
	t.Setenv(BinDirEnv, one.BinDir)
	if got := Installations(); len(got) != 1 || got[0] != one {
		t.Errorf("with %s=%s: %+v, want only %+v", BinDirEnv, one.BinDir, got, one)
	}
}

func TestStartPrefersMajor(t *testing.T) {
	majors := installedMajors(t)
	if len(majors) < 2 {
		t.Skipf("only PostgreSQL %v installed; preferring a version needs two", majors)
	}
	for _, want := range []int{majors[0], majors[len(majors)-1]} {
		t.Run(fmt.Sprint(want), func(t *testing.T) {
			c := startTest(t, Options{PreferMajor: want})
			if c.Major() != want {
				t.Errorf("Major() = %d, want %d", c.Major(), want)
			}
			for _, dsn := range []string{c.DSN("postgres"), c.URL("postgres")} {
				db, err := sql.Open("postgres", dsn)
				if err != nil {
					t.Fatal(err)
				}
				var num int
				err = db.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&num)
				db.Close()
				if err != nil {
					t.Fatalf("%s: %v", dsn, err)
				}
				if num/10000 != want {
					t.Errorf("%s: server_version_num %d, want major %d", dsn, num, want)
				}
			}
		})
	}
}

func TestPreferMajorMissingFallsBack(t *testing.T) {
	t.Setenv(BinDirEnv, "")
	first, err := findBinaries("", 0)
	if err != nil {
		t.Skipf("no postgresql binaries here: %v", err)
	}
	got, err := findBinaries("", 99)
	if err != nil {
		t.Fatal(err)
	}
	if got != first {
		t.Errorf("preferring an absent version found %+v, want the default %+v", got, first)
	}
}
