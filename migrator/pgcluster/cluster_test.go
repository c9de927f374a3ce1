package pgcluster

import (
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/lib/pq"
)

// installedMajors returns the major versions of the server builds the
// search finds, each once.
func installedMajors(t *testing.T) []int {
	t.Helper()
	t.Setenv(BinDirEnv, "")
	var majors []int
	seen := map[int]bool{}
	for _, v := range []int{12, 13, 14, 15, 16, 17, 18} {
		b, err := findBinaries("", v)
		if err != nil {
			t.Skipf("no postgresql binaries here: %v", err)
		}
		got, err := ProgramMajor(b.postgres)
		if err != nil {
			t.Fatal(err)
		}
		if got == v && !seen[v] {
			seen[v] = true
			majors = append(majors, v)
		}
	}
	return majors
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
