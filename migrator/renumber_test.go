package migrator

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPlanRenumber(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []string
		moves []string
		want  []string // "from -> to"
	}{
		{
			name:  "two files with one id: the branch's goes to the end",
			files: append(seq("%04d", 1, 11), "0012_add-tags.sql", "0012_add-index.sql"),
			moves: []string{"0012_add-index.sql"},
			want:  []string{"0012_add-index.sql -> 0013_add-index.sql"},
		},
		{
			name:  "branch files below main's newest keep their order",
			files: []string{"1_a.sql", "2_b.sql", "3_main3.sql", "4_main4.sql", "3_br1.sql", "4_br2.sql", "5_br3.sql"},
			moves: []string{"3_br1.sql", "4_br2.sql", "5_br3.sql"},
			want:  []string{"3_br1.sql -> 5_br1.sql", "4_br2.sql -> 6_br2.sql", "5_br3.sql -> 7_br3.sql"},
		},
		{
			name:  "moving files already at the end are left alone",
			files: []string{"0001_a.sql", "0002_b.sql", "0003_c.sql"},
			moves: []string{"0003_c.sql"},
		},
		{
			name:  "a branch file past a gap closes it",
			files: []string{"0001_a.sql", "0002_b.sql", "0004_c.sql"},
			moves: []string{"0004_c.sql"},
			want:  []string{"0004_c.sql -> 0003_c.sql"},
		},
		{
			name:  "padding is widened, unpadded ids stay unpadded",
			files: append(seq("%04d", 1, 99), "0099_x.sql", "99_y.sql"),
			moves: []string{"0099_x.sql", "99_y.sql"},
			want:  []string{"0099_x.sql -> 0100_x.sql", "99_y.sql -> 101_y.sql"},
		},
		{
			name:  "separator, case and name-less files keep their name part",
			files: []string{"1-a.SQL", "2_b.sql", "2-c.SQL", "2.sql"},
			moves: []string{"2-c.SQL", "2.sql"},
			want:  []string{"2-c.SQL -> 3-c.SQL", "2.sql -> 4.sql"},
		},
		{
			name:  "other files are ignored",
			files: []string{"1_a.sql", "1_b.sql", "README.md", ".1_hidden.sql"},
			moves: []string{"1_b.sql"},
			want:  []string{"1_b.sql -> 2_b.sql"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			renames, err := PlanRenumber(tt.files, setOf(tt.moves))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range renames {
				got = append(got, r.From+" -> "+r.To)
				if id, name, err := ParseFileName(r.To); err != nil || id != r.ID || name != r.Name {
					t.Errorf("%s parses as %d %q %v, want %d %q", r.To, id, name, err, r.ID, r.Name)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("renames:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestPlanRenumberRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []string
		moves []string
		want  string
	}{
		{"gap among the files that stay", []string{"1_a.sql", "3_c.sql", "3_d.sql"}, []string{"3_d.sql"}, "3_c.sql: gap in numbering"},
		{"duplicate among the files that stay", []string{"1_a.sql", "2_b.sql", "2_c.sql"}, nil, "2_c.sql: id 2 is also used by 2_b.sql"},
		{"a name used twice", []string{"1_a.sql", "2_b.sql", "2_a.sql"}, []string{"2_a.sql"}, `2_a.sql: name "a" is also used by 1_a.sql`},
		{"a bad name", []string{"1_a.sql", "x.sql"}, nil, "x.sql: name must begin with an integer id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			renames, err := PlanRenumber(tt.files, setOf(tt.moves))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, %v; want a *FileError", renames, err)
			}
			if renames != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %q; want no renames and %q", renames, err, tt.want)
			}
		})
	}
}

func setOf(files []string) func(string) bool {
	set := map[string]bool{}
	for _, f := range files {
		set[f] = true
	}
	return func(f string) bool { return set[f] }
}

func TestParseFileNameExported(t *testing.T) {
	id, name, err := ParseFileName("0012_add-tags.sql")
	if got := fmt.Sprintf("%d %s %v", id, name, err); got != "12 add-tags <nil>" {
		t.Errorf("got %s", got)
	}
	if _, _, err := ParseFileName("x.sql"); err == nil {
		t.Error("x.sql parsed")
	}
}
