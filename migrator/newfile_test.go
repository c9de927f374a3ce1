package migrator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// newFileDir makes a folder holding the given files, each with a comment.
func newFileDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("-- "+f+"\nSELECT 1;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// seq returns the files from..to with their ids formatted by idFormat and
// names m<id>.
func seq(idFormat string, from, to int) []string {
	var files []string
	for i := from; i <= to; i++ {
		files = append(files, fmt.Sprintf(idFormat+"_m%d.sql", i, i))
	}
	return files
}

func TestNewFile(t *testing.T) {
	tests := []struct {
		desc  string
		files []string
		name  string
		want  string // base name of the created file
	}{
		{desc: "empty folder", name: "x", want: "0001_x.sql"},
		{desc: "padded", files: []string{"0001_a.sql", "0002_b.sql"}, name: "c", want: "0003_c.sql"},
		{desc: "padded, next needs more digits", files: seq("%02d", 1, 99), name: "x", want: "100_x.sql"},
		{desc: "padded width 3 up to 999", files: seq("%03d", 1, 999), name: "x", want: "1000_x.sql"},
		{desc: "padded width 2 at 10", files: seq("%02d", 1, 10), name: "x", want: "11_x.sql"},
		{desc: "unpadded", files: []string{"1_a.sql", "2_b.sql"}, name: "c", want: "3_c.sql"},
		{desc: "unpadded past 9", files: seq("%d", 1, 10), name: "x", want: "11_x.sql"},
		{desc: "single unpadded file", files: []string{"1_a.sql"}, name: "b", want: "2_b.sql"},
		{desc: "mixed widths keep the widest padding", files: []string{"001_a.sql", "02_b.sql", "3_c.sql"}, name: "d", want: "004_d.sql"},
		{desc: "dash separator", files: []string{"1-a.sql"}, name: "b", want: "2-b.sql"},
		{desc: "separator of the highest id", files: []string{"1_a.sql", "2-b.sql"}, name: "c", want: "3-c.sql"},
		{desc: "no separator in the folder", files: []string{"1a.sql", "2.sql"}, name: "c", want: "3_c.sql"},
		{desc: "highest without separator", files: []string{"01-a.sql", "02.sql"}, name: "c", want: "03-c.sql"},
		{desc: "other files ignored", files: []string{"README.md", "0001_a.sql", ".hidden.sql"}, name: "b", want: "0002_b.sql"},
		{desc: "name is sanitised", name: "Add users table", want: "0001_Add-users-table.sql"},
		{desc: "name starting with digits", files: []string{"1_a.sql"}, name: "2fa secrets", want: "2_2fa-secrets.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := newFileDir(t, tt.files...)
			path, err := NewFile(dir, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); path != want {
				t.Fatalf("path = %s, want %s", path, want)
			}
			migs, err := loadChecked(os.DirFS(dir), false)
			if err != nil {
				t.Fatalf("folder no longer loads: %v", err)
			}
			last := migs[len(migs)-1]
			if last.File != tt.want || last.ID != len(tt.files)-countIgnored(tt.files)+1 || last.DisableTransaction || last.DisableHashCheck {
				t.Fatalf("new migration = %+v", last)
			}
		})
	}
}

func countIgnored(files []string) int {
	n := 0
	for _, f := range files {
		if !isMigrationFile(f) || strings.HasPrefix(f, ".") {
			n++
		}
	}
	return n
}

func TestNewFileContent(t *testing.T) {
	dir := t.TempDir()
	path, err := NewFile(dir, "add-index")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	content := string(b)
	if !strings.HasPrefix(content, "-- 0001_add-index.sql\n") || !strings.Contains(content, "disable-transaction") {
		t.Errorf("content = %q", content)
	}
	for line := range strings.Lines(content) {
		if !strings.HasPrefix(line, "-- ") {
			t.Errorf("line %q is not a comment", line)
		}
	}
	h := parseHeaders(content)
	if h.disableTransaction || h.disableHashCheck || len(h.problems) > 0 {
		t.Errorf("content has headers: %+v", h)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("mode = %v", info.Mode())
	}
	// Three more in a row keep numbering.
	for i, want := range []string{"0002_b.sql", "0003_c.sql", "0004_d.sql"} {
		path, err := NewFile(dir, want[5:6])
		if err != nil || filepath.Base(path) != want {
			t.Fatalf("file %d: %s, %v", i+2, path, err)
		}
	}
}

func TestNewFileBrokenFolder(t *testing.T) {
	tests := []struct {
		desc  string
		files []string
		want  string
	}{
		{desc: "gap", files: []string{"1_a.sql", "3_c.sql"}, want: "gap in numbering"},
		{desc: "duplicate id", files: []string{"1_a.sql", "01_b.sql"}, want: "id 1 is also used"},
		{desc: "duplicate name", files: []string{"1_a.sql", "2_a.sql"}, want: "names must be unique"},
		{desc: "not starting at 1", files: []string{"2_a.sql"}, want: "first id is 2"},
		{desc: "bad file name", files: []string{"1_a.sql", "abc.sql"}, want: "must begin with an integer id"},
		{desc: "javascript", files: []string{"1_a.sql", "2_b.js"}, want: "JavaScript"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := newFileDir(t, tt.files...)
			before := listDir(t, dir)
			path, err := NewFile(dir, "next")
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("NewFile = %q, %v; want a *FileError", path, err)
			}
			if _, direct := err.(*FileError); !direct {
				t.Errorf("error %T is wrapped; want the *FileError itself", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if after := listDir(t, dir); after != before {
				t.Errorf("folder changed: %s -> %s", before, after)
			}
		})
	}
}

func TestNewFileInvalidContentInFolder(t *testing.T) {
	dir := newFileDir(t, "1_a.sql")
	if err := os.WriteFile(filepath.Join(dir, "2_b.sql"), []byte("SELECT 1;\n\xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewFile(dir, "c")
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "2_b.sql") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewFileFolderErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	_, err := NewFile(missing, "x")
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: %v", err)
	}
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = NewFile(file, "x")
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file as folder: %v", err)
	}
	var fe *FileError
	if errors.As(err, &fe) {
		t.Errorf("file as folder gave a *FileError: %v", err)
	}
}

func TestNewFileNameErrors(t *testing.T) {
	tests := []struct {
		desc  string
		files []string
		name  string
		want  string
	}{
		{desc: "symbols only", name: "!!! ///", want: "has no usable characters"},
		{desc: "empty", name: "", want: "has no usable characters"},
		{desc: "blank", name: "   \t ", want: "has no usable characters"},
		{desc: "only .sql", name: ".sql", want: "has no usable characters"},
		{desc: "separators only", name: "-_.", want: "has no usable characters"},
		{desc: "too long", name: strings.Repeat("a", maxNameLength+1), want: "101 characters long"},
		{desc: "too long in runes", name: strings.Repeat("é", maxNameLength+1), want: "at most 100"},
		{desc: "collision", files: []string{"1_add-users.sql"}, name: "add users", want: `"add-users" is already used by 1_add-users.sql`},
		{desc: "collision after .sql", files: []string{"0001_a.sql", "0002_b.sql"}, name: "a.sql", want: "already used by 0001_a.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := newFileDir(t, tt.files...)
			before := listDir(t, dir)
			path, err := NewFile(dir, tt.name)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewFile = %q, %v; want error containing %q", path, err, tt.want)
			}
			if after := listDir(t, dir); after != before {
				t.Errorf("folder changed: %s -> %s", before, after)
			}
		})
	}
}

func TestNewFileMaxLengthName(t *testing.T) {
	dir := t.TempDir()
	name := strings.Repeat("ü", maxNameLength)
	path, err := NewFile(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	migs, err := loadChecked(os.DirFS(dir), false)
	if err != nil || len(migs) != 1 || migs[0].Name != name {
		t.Fatalf("%s: %v %v", path, migs, err)
	}
}

func TestNewFileSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Add users table", "Add-users-table"},
		{"add_users", "add_users"},
		{"  weird/../name!!  ", "weird-..-name"},
		{"../../etc/passwd", "etc-passwd"},
		{`a\b/c`, "a-b-c"},
		{"a:b*c?d\"e<f>g|h", "a-b-c-d-e-f-g-h"},
		{"tab\there\nnewline", "tab-here-newline"},
		{"a - b", "a-b"},
		{"a--b", "a-b"},
		{"a__b", "a__b"},
		{"---x---", "x"},
		{"_x_", "x"},
		{".hidden", "hidden"},
		{".sql x", "sql-x"},
		{"add users.sql", "add-users"},
		{"add users.SQL", "add-users"},
		{"x.sql.sql", "x"},
		{"x.sql!!", "x"},
		{"v1.2 upgrade", "v1.2-upgrade"},
		{"Größe ändern", "Größe-ändern"},
		{"создать таблицу", "создать-таблицу"},
		{"表を作成", "表を作成"},
		{"cafe\u0301", "cafe\u0301"}, // combining accent kept
		{"emoji 🎉 party", "emoji-party"},
		{"null\x00byte", "null-byte"},
		{"2fa", "2fa"},
	}
	for _, tt := range tests {
		got, err := safeName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("safeName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if strings.ContainsAny(got, `/\`) {
			t.Errorf("safeName(%q) = %q keeps a path separator", tt.in, got)
		}
	}
}

func TestNewFileNeverOverwrites(t *testing.T) {
	dir := newFileDir(t, "0001_a.sql")
	// A folder named like the next file: not a migration (loadMigrations
	// skips folders), and in the way.
	if err := os.Mkdir(filepath.Join(dir, "0002_b.sql"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := NewFile(dir, "b")
	if err == nil || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v; want fs.ErrExist", err)
	}
	// A dangling symbolic link named like the next file is not followed.
	if err := os.Symlink(filepath.Join(dir, "target.txt"), filepath.Join(dir, "0002_c.sql")); err != nil {
		t.Skip(err)
	}
	_, err = NewFile(dir, "c")
	if err == nil {
		t.Fatal("NewFile succeeded through a dangling link")
	}
	if _, err := os.Lstat(filepath.Join(dir, "target.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("link target was created: %v", err)
	}
}

// TestNewFileConcurrent runs two creations at once, many times: whatever
// wins, the folder stays valid and every returned path exists.
func TestNewFileConcurrent(t *testing.T) {
	dir := newFileDir(t, "0001_a.sql")
	created := 1
	for round := range 30 {
		paths := make(chan string, 2)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if path, err := NewFile(dir, fmt.Sprintf("r%d-g%d", round, g)); err == nil {
					paths <- path
				}
			}()
		}
		wg.Wait()
		close(paths)
		for path := range paths {
			created++
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("round %d: returned path is gone: %v", round, err)
			}
		}
		migs, err := loadChecked(os.DirFS(dir), false)
		if err != nil {
			t.Fatalf("round %d: folder broken: %v", round, err)
		}
		if len(migs) != created {
			t.Fatalf("round %d: %d migrations, %d creations succeeded", round, len(migs), created)
		}
	}
	// Both creations of a round may fail (each sees the other's file);
	// how many succeed depends on timing.
	t.Logf("%d of 60 creations succeeded", created-1)
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, ",")
}
