package dirfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
)

func TestReadFileMatchesOS(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"empty.sql":  nil,
		"small.sql":  []byte("SELECT 1;\n"),
		"bom.sql":    []byte("\uFEFFSELECT 1;\n"),
		"large.sql":  bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 200_000), // 5.2 MB
		"page.sql":   bytes.Repeat([]byte("x"), 4096),
		"sub/in.sql": []byte("SELECT 2;\n"),
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := New(dir)
	for name, want := range files {
		got, err := f.ReadFile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: read %d bytes, want %d", name, len(got), len(want))
		}
		viaFS, err := fs.ReadFile(f, name) // the path migrator takes
		if err != nil || !bytes.Equal(viaFS, want) {
			t.Errorf("fs.ReadFile %s: %d bytes, %v", name, len(viaFS), err)
		}
	}
}

// TestFSConformance: the fs.FS contracts (fstest reads every file of the
// tree many times over, so the tree is small).
func TestFSConformance(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.sql", "sub/b.sql"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("SELECT 1;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := fstest.TestFS(New(dir), "a.sql", "sub/b.sql"); err != nil {
		t.Error(err)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "folder.sql"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := New(dir)
	cases := []struct {
		name, op string
		is       error
	}{
		{"missing.sql", "open", fs.ErrNotExist},
		{"folder.sql", "read", syscall.EISDIR},
		{"../escape.sql", "open", fs.ErrInvalid},
		{"/abs.sql", "open", fs.ErrInvalid},
	}
	for _, c := range cases {
		_, err := f.ReadFile(c.name)
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Op != c.op || pe.Path != c.name || !errors.Is(err, c.is) {
			t.Errorf("ReadFile(%q) = %v, want a *fs.PathError %s %s: %v", c.name, err, c.op, c.name, c.is)
		}
		// The same words as os.DirFS gives, which messages show.
		_, osErr := fs.ReadFile(os.DirFS(dir), c.name)
		if osErr == nil || !strings.Contains(osErr.Error(), errors.Unwrap(err).Error()) {
			t.Errorf("ReadFile(%q): %v; os.DirFS says %v", c.name, err, osErr)
		}
	}
}

func TestReadFileUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.sql")
	if err := os.WriteFile(p, []byte("SELECT 1;"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := New(dir).ReadFile("secret.sql")
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ReadFile of a mode 000 file: %v, want permission denied", err)
	}
}
