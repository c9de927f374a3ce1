package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgmig/pgmig/migrator"
)

// runNew runs newCmd directly, without the command-line parser.
func runNew(t *testing.T, dir, name string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := (&newCmd{Dir: dir, Name: name}).Run(&app{stdout: &stdout, stderr: &stderr})
	if stderr.Len() > 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
	if err != nil && stdout.Len() > 0 {
		t.Errorf("stdout on error: %q", stdout.String())
	}
	return stdout.String(), err
}

func TestNewCmdRun(t *testing.T) {
	dir := writeMigrations(t, map[string]string{"0001_a.sql": "SELECT 1;\n", "0002_b.sql": "SELECT 2;\n"})
	out, err := runNew(t, dir, "add users table")
	want := filepath.Join(dir, "0003_add-users-table.sql")
	if err != nil || out != want+"\n" {
		t.Fatalf("out %q, err %v; want %q", out, err, want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Fatal(err)
	}
	// The folder with the new file is still valid: the next one follows.
	out, err = runNew(t, dir, "Größe ändern.sql")
	if want := filepath.Join(dir, "0004_Größe-ändern.sql") + "\n"; err != nil || out != want {
		t.Fatalf("second: out %q, err %v; want %q", out, err, want)
	}
}

func TestNewCmdRunErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file.sql")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	gap := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n", "3_c.sql": "SELECT 3;\n"})
	dup := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n", "01_b.sql": "SELECT 1;\n"})
	ok := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n"})
	tests := []struct {
		desc      string
		dir, name string
		code      int
		want      string
		fileErr   bool
	}{
		{desc: "missing folder", dir: filepath.Join(tmp, "nope"), name: "x", code: exitInvalidFiles, want: "migrations folder " + filepath.Join(tmp, "nope") + ": no such file or directory"},
		{desc: "file as folder", dir: file, name: "x", code: exitInvalidFiles, want: "is a file, not a folder"},
		{desc: "gap", dir: gap, name: "x", code: exitInvalidFiles, want: "gap in numbering", fileErr: true},
		{desc: "duplicate id", dir: dup, name: "x", code: exitInvalidFiles, want: "id 1 is also used", fileErr: true},
		{desc: "unusable name", dir: ok, name: "?!", code: exitFailure, want: "has no usable characters"},
		{desc: "name collision", dir: ok, name: "a", code: exitFailure, want: "already used by 1_a.sql"},
		{desc: "name too long", dir: ok, name: strings.Repeat("x", 101), code: exitFailure, want: "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := runNew(t, tt.dir, tt.name)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %q", err, tt.want)
			}
			if got := exitCode(err); got != tt.code {
				t.Errorf("exit code %d, want %d", got, tt.code)
			}
			var fe *migrator.FileError
			if errors.As(err, &fe) != tt.fileErr {
				t.Errorf("error %T: *migrator.FileError = %v, want %v", err, !tt.fileErr, tt.fileErr)
			}
		})
	}
	entries, _ := os.ReadDir(ok)
	if len(entries) != 1 {
		t.Errorf("files were created in %s: %v", ok, entries)
	}
}

// TestNewCommandLine goes through the parser.
func TestNewCommandLine(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := pgmig(t, "new", dir, "add users")
	want := filepath.Join(dir, "0001_add-users.sql")
	if code != exitOK || stdout != want+"\n" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = pgmig(t, "new", dir, "second")
	if code != exitOK || stdout != filepath.Join(dir, "0002_second.sql")+"\n" {
		t.Fatalf("second: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// A broken folder: exit 3, the reason on stderr, nothing on stdout.
	broken := writeMigrations(t, map[string]string{"1_a.sql": "SELECT 1;\n", "3_c.sql": "SELECT 3;\n"})
	code, stdout, stderr = pgmig(t, "new", broken, "x")
	if code != exitInvalidFiles || stdout != "" || !strings.Contains(stderr, "pgmig: error: invalid migration file: 3_c.sql: gap in numbering") {
		t.Fatalf("broken: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = pgmig(t, "new", filepath.Join(dir, "missing"), "x")
	if code != exitInvalidFiles || !strings.Contains(stderr, "missing: no such file or directory") {
		t.Fatalf("missing: exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ = pgmig(t, "new", "--help")
	if code != exitOK || !strings.Contains(stdout, "Examples:") {
		t.Fatalf("--help: exit %d, stdout %q", code, stdout)
	}
}
