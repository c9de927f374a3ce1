package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

// genSet writes the n migrations of migratortest.GenerateMigrations (the
// set the Go benchmarks load too) into a new folder under root and returns
// the folder and the file paths in id order.
func genSet(root, name string, n int) (string, []string, error) {
	dir := filepath.Join(root, name)
	fsys := migratortest.GenerateMigrations(n)
	if err := os.CopyFS(dir, fsys); err != nil {
		return "", nil, err
	}
	var files []string
	for _, name := range slices.Sorted(maps.Keys(fsys)) { // zero-padded: id order
		files = append(files, filepath.Join(dir, name))
	}
	return dir, files, nil
}

// psqlScript writes a psql script that runs files through \i, each in a
// transaction of its own (perFile) or all in one transaction.
func psqlScript(path string, files []string, perFile bool) error {
	var b strings.Builder
	if !perFile {
		b.WriteString("BEGIN;\n")
	}
	for _, f := range files {
		if perFile {
			fmt.Fprintf(&b, "BEGIN;\n\\i %s\nCOMMIT;\n", f)
		} else {
			fmt.Fprintf(&b, "\\i %s\n", f)
		}
	}
	if !perFile {
		b.WriteString("COMMIT;\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// genBigFile writes a folder holding one migration of about mb MiB
// (migratortest.WriteBigMigration) and returns it and the file's size.
func genBigFile(root string, mb int) (string, int64, error) {
	dir := filepath.Join(root, "bigfile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	f, err := os.Create(filepath.Join(dir, "1_big-payload.sql"))
	if err != nil {
		return "", 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	size, err := migratortest.WriteBigMigration(w, int64(mb)<<20)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	return dir, size, nil
}
