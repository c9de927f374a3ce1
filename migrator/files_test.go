package migrator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/hashcheck"
)

// TestLoadBroken loads each folder of testdata/broken and checks that every
// expected problem is reported, naming its file.
func TestLoadBroken(t *testing.T) {
	tests := []struct {
		dir  string
		want map[string]string // file -> part of its problem
	}{
		{"gap", map[string]string{"3_third.sql": "gap in numbering: id 3 follows 1 (2 missing)"}},
		{"duplicate-id", map[string]string{"1_create-table.sql": "id 1 is also used by 1_add-column.sql"}},
		{"leading-zeros", map[string]string{"1_b.sql": "id 1 is also used by 01_a.sql"}},
		{"start-above-1", map[string]string{"2-first.sql": "first id is 2"}},
		{"negative", map[string]string{"-1_negative.sql": "negative id"}},
		{"bad-name", map[string]string{"migrate-this.sql": "must begin with an integer id"}},
		{"name-twice", map[string]string{"2-same.sql": `name "same" is also used by 1_same.sql`}},
		{"javascript", map[string]string{"2_generated.js": "pgmig runs .sql files only"}},
		{"not-utf8", map[string]string{"1_latin1.sql": "not valid UTF-8 (first invalid byte at line 1, column 27)"}},
		{"nul-byte", map[string]string{"1_nul.sql": "NUL byte at line 2, column 1"}},
		{"long-name", map[string]string{"1_" + strings.Repeat("x", 101) + ".sql": "101 characters long"}},
		{"transaction-control", map[string]string{"1_commit-midway.sql": "line 2: COMMIT: pgmig runs each migration in a transaction"}},
		{"unknown-header", map[string]string{"1_typo.sql": `line 1: unknown header "-- pgmig disable-transactoin"; did you mean '-- pgmig disable-transaction'?`}},
		{"meta-command", map[string]string{"1_connect.sql": `line 1: "\\connect app" is a psql meta-command`}},
		{"unterminated", map[string]string{"1_quote.sql": "unterminated"}},
		{"misplaced-header", map[string]string{"1_trailing.sql": "must stand alone on a comment line"}},
		{"overflow", map[string]string{"99999999999999999999_x.sql": "too large"}},
		{"many", map[string]string{
			"bad.sql":      "must begin with an integer id",
			"4_latin1.sql": "not valid UTF-8",
			"5_tx.sql":     "COMMIT",
			"3_gap.sql":    "gap in numbering",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			_, err := loadMigrations(os.DirFS(filepath.Join("..", "testdata", "broken", tt.dir)), true)
			var ferr *FileError
			if !errors.As(err, &ferr) {
				t.Fatalf("err = %v, want *FileError", err)
			}
			if len(ferr.Problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(ferr.Problems), len(tt.want), err)
			}
			for file, want := range tt.want {
				found := false
				for _, p := range ferr.Problems {
					if p.File == file && strings.Contains(p.Problem, want) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem %q for %s in:\n%v", want, file, err)
				}
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_second.sql":              {Data: []byte("-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n")},
		"0001_first.sql":               {Data: []byte("CREATE TABLE t (id int);\n")},
		"0003_third.SQL":               {Data: []byte("-- disable-hash-check\nSELECT 1;\n")},
		"README.md":                    {Data: []byte("docs beside migrations are fine")},
		".0004_editor-swap.sql":        {Data: []byte("hidden files are ignored")},
		"sub/0004_in-subfolder.sql":    {Data: []byte("subfolders are ignored")},
		"seed.csv":                     {Data: []byte("1,2")},
		"0004_function.sql":            {Data: []byte("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n")},
		"0005_savepoints-are-fine.sql": {Data: []byte("SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a;")},
		"0006_tx-control-allowed.sql":  {Data: []byte("-- pgmig disable-transaction\nBEGIN;\nCOMMIT;\n")},
	}
	migs, err := loadMigrations(fsys, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range migs {
		got = append(got, m.File)
	}
	want := "0001_first.sql 0002_second.sql 0003_third.SQL 0004_function.sql 0005_savepoints-are-fine.sql 0006_tx-control-allowed.sql"
	if strings.Join(got, " ") != want {
		t.Fatalf("files = %v, want %s", got, want)
	}
	if migs[0].DisableTransaction || !migs[1].DisableTransaction || !migs[2].DisableHashCheck || migs[2].DisableTransaction {
		t.Fatalf("header flags wrong: %+v", migs[:3])
	}
	if migs[0].Name != "first" || migs[0].Hash != hashcheck.Sum("0001_first.sql", []byte("CREATE TABLE t (id int);\n")) {
		t.Fatalf("first migration = %+v", migs[0])
	}
}

func TestLoadEmptyFolder(t *testing.T) {
	migs, err := loadMigrations(fstest.MapFS{}, false)
	if err != nil || len(migs) != 0 {
		t.Fatalf("loadMigrations(empty) = %v, %v", migs, err)
	}
}

// failingFS fails to open one file, as an unreadable file would.
type failingFS struct {
	fs.FS
	bad string
}

func (f failingFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.FS.Open(name)
}

func TestLoadUnreadableFile(t *testing.T) {
	fsys := failingFS{FS: fstest.MapFS{"1_a.sql": {}, "2_b.sql": {}}, bad: "2_b.sql"}
	_, err := loadMigrations(fsys, false)
	var ferr *FileError
	if !errors.As(err, &ferr) || len(ferr.Problems) != 1 || ferr.Problems[0].File != "2_b.sql" ||
		!strings.Contains(ferr.Problems[0].Problem, "cannot read file: permission denied") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "shared.sql")
	if err := os.WriteFile(target, []byte("CREATE TABLE s (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(target, filepath.Join(dir, "1_linked.sql")))
	must(t, os.Mkdir(filepath.Join(dir, "realdir"), 0o755))
	must(t, os.Symlink(filepath.Join(dir, "realdir"), filepath.Join(dir, "2_dir-link.sql")))
	migs, err := loadMigrations(os.DirFS(dir), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) != 1 || migs[0].File != "1_linked.sql" || migs[0].Size != 25 {
		t.Fatalf("migs = %+v", migs)
	}
	// A dangling link is reported, not skipped.
	must(t, os.Symlink(filepath.Join(dir, "nowhere.sql"), filepath.Join(dir, "2_dangling.sql")))
	_, err = loadMigrations(os.DirFS(dir), false)
	if err == nil || !strings.Contains(err.Error(), "2_dangling.sql: cannot follow symbolic link") {
		t.Fatalf("err = %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
