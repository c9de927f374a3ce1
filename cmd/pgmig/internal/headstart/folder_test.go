package headstart

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/pgmig/pgmig/migrator/dirfs"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(entries []fs.DirEntry) []string {
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return n
}

// TestFolderServesWhatWasReadAhead: the folder read ahead is handed out
// for the same folder under another spelling, once, and serves what the
// folder holds.
func TestFolderServesWhatWasReadAhead(t *testing.T) {
	files := map[string]string{"1_a.sql": "CREATE TABLE a (id int);\n", "2_b.sql": "SELECT 2;\n", "README.md": "notes", ".hidden.sql": "x"}
	dir := writeFiles(t, files)
	s := begin([]string{"apply", dir}, noEnv)
	if s == nil || s.files == nil {
		t.Fatal("apply DIR did not read ahead")
	}
	<-s.files.done
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range s.files.files {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{"1_a.sql", "2_b.sql"}) {
		t.Errorf("read ahead %v, want the .sql files that do not start with a dot", got)
	}
	next := dirfs.New(dir)
	if _, ok := s.files.take(t.TempDir(), next); ok {
		t.Fatal("another folder got the read-ahead")
	}
	fsys, ok := s.files.take(dir+"/.", next)
	if !ok {
		t.Fatal("the same folder under another spelling did not get the read-ahead")
	}
	if _, again := s.files.take(dir, next); again {
		t.Error("the read-ahead was handed out twice")
	}
	entries, err := fs.ReadDir(fsys, ".")
	want, _ := os.ReadDir(dir)
	if err != nil || !slices.Equal(names(entries), names(want)) {
		t.Errorf("listing %v, %v; want %v", names(entries), err, names(want))
	}
	// A file changed after the read-ahead: the first read is what was read
	// ahead (as if the command had read it then), later reads see the disk.
	if err := os.WriteFile(filepath.Join(dir, "2_b.sql"), []byte("SELECT 3;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, want string }{
		{"1_a.sql", files["1_a.sql"]}, {"2_b.sql", files["2_b.sql"]}, {"2_b.sql", "SELECT 3;\n"}, {"README.md", "notes"},
	} {
		b, err := fs.ReadFile(fsys, c.name)
		if err != nil || string(b) != c.want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", c.name, b, err, c.want)
		}
	}
	if _, err := fs.ReadFile(fsys, "missing.sql"); !errorsIsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
	if err := fstest.TestFS(fsys, "1_a.sql", "2_b.sql", "README.md"); err != nil {
		t.Error(err)
	}
}

func errorsIsNotExist(err error) bool { return err != nil && os.IsNotExist(err) }

// TestFolderArgument: the folder is the last argument when it is one.
func TestFolderArgument(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.sql")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"apply", dir}, true},
		{[]string{"--url", "x", "status", "--table", "t", dir}, true},
		{[]string{"apply", dir, "--json"}, false},
		{[]string{"apply", file}, false},
		{[]string{"apply", filepath.Join(dir, "missing")}, false},
		{[]string{"apply"}, false},
	} {
		command, _ := CommandName(c.args)
		got, _, ok := folderArgument(c.args, command)
		if ok != c.ok || ok && got != dir {
			t.Errorf("folderArgument(%q) = %q, %v; want %v", c.args, got, ok, c.ok)
		}
	}
}
