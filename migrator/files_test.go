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

// TestLoadBroken loads each folder of testdata/broken, holding every file
// to all rules as validate does, and compares the error with the folder's
// expected.txt: the exit code of 'pgmig validate' on the first line (3, for
// a *FileError), then its stderr, which begins with "pgmig: error: " and
// the error's text. TestGoldenBroken in cmd/pgmig checks the same files
// against the command line, and rewrites them with -update.
func TestLoadBroken(t *testing.T) {
	root := filepath.Join("..", "testdata", "broken")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	folders := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		folders++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(root, e.Name())
			expected, err := os.ReadFile(filepath.Join(dir, "expected.txt"))
			if err != nil {
				t.Fatalf("%v (go test ./cmd/pgmig -run GoldenBroken -update writes it)", err)
			}
			code, stderr, _ := strings.Cut(string(expected), "\n")
			if code != "3" {
				t.Errorf("%s/expected.txt: exit code %q, want 3, the code of a *FileError", dir, code)
			}
			_, err = loadChecked(os.DirFS(dir), true)
			var ferr *FileError
			if !errors.As(err, &ferr) {
				t.Fatalf("err = %v, want *FileError", err)
			}
			if want := "pgmig: error: " + err.Error() + "\n"; !strings.HasPrefix(stderr, want) {
				t.Errorf("error differs from %s/expected.txt:\n got: %s\nwant: %s", dir, want, stderr)
			}
			for _, p := range ferr.Problems { // each problem names a file of the folder, expected.txt aside
				if _, err := os.Lstat(filepath.Join(dir, p.File)); err != nil || p.File == "expected.txt" {
					t.Errorf("problem %q names %q, not a migration file of the folder", p.Problem, p.File)
				}
			}
		})
	}
	if folders == 0 {
		t.Fatalf("no folders in %s", root)
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
	migs, err := loadChecked(fsys, false)
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
	migs, err := loadChecked(fstest.MapFS{}, false)
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
	_, err := loadChecked(fsys, false)
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
	migs, err := loadChecked(os.DirFS(dir), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) != 1 || migs[0].File != "1_linked.sql" || migs[0].Size != 25 {
		t.Fatalf("migs = %+v", migs)
	}
	// A dangling link is reported, not skipped.
	must(t, os.Symlink(filepath.Join(dir, "nowhere.sql"), filepath.Join(dir, "2_dangling.sql")))
	_, err = loadChecked(os.DirFS(dir), false)
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

// loadChecked is loadMigrations once the statement checks are done.
func loadChecked(fsys fs.FS, strict bool) ([]Migration, error) {
	migs, checks, err := loadMigrations(fsys, strict)
	checks.wait()
	return migs, err
}
